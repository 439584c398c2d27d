"""Demo submissions: the monthly files the Lạng Sơn sources send for a period, as people send them.

Deterministic for a seed (the same seed gives the same bytes). Calibrated so the report reads like
the real 2022-H1 report, with planted problems the pipeline must surface:

- a provincial outlet month with no item on human trafficking (BAO-LS, 4th month);
- a district month never submitted (PVHTT-189, 5th month);
- a late submission (PVHTT-184, 3rd month, received on day 25 of the next month);
- a correction `_r2` that replaces an accepted file (PVHTT-181, 2nd month);
- two broken files: invalid rows (PVHTT-186, 6th month) and a corrupt workbook (TW-VOV, 5th month);
- a valid "nothing this month" file with a header and no rows (TW-QDND, 2nd month);
- a district month with no grassroots activity on human trafficking (the first district office
  without key-area communes, 3rd month);
- an outlier: loudspeaker broadcasts six times the district's usual level (PVHTT-185, 4th month);
- validation rules broken: more people counselled in a key-area commune than its at-risk
  population (4th month), film screenings without the number of people (PVHTT-183, 5th month).

Each file's modification time is set to the moment it was sent: ingest reads it as `received_at`.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.reference import Reference
from ingest.text import encode_cp1258, fold
from outreach.home import SEEDS_DIR
from outreach.periods import Period, month_end

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# the directive documents of the real 2022-H1 report (its footnote 1)
DIRECTIVES_2022_H1 = [
    ("31/STTTT-TTBCXB", date(2022, 1, 7), "Tuyên truyền xử lý hành vi hành hại, xâm hại trẻ em",
     "toi_pham"),
    ("179/STTTT-TTBCXB", date(2022, 1, 21),
     "Tuyên truyền phòng, chống tham nhũng, tiêu cực, lãng phí; "
     "“Ngày hội toàn dân bảo vệ an ninh Tổ quốc”", "khac"),
    ("253/STTTT-TTBCXB", date(2022, 2, 9),
     "Tuyên truyền công tác xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc năm 2022", "khac"),
    ("695/STTTT-TTBCXB", date(2022, 4, 13),
     "Tuyên truyền phòng, chống tội phạm ma túy; mua bán, tàng trữ, vận chuyển vũ khí, "
     "vật liệu nổ và công cụ hỗ trợ", "ma_tuy"),
    ("1085/STTTT-TTBCXB", date(2022, 5, 30),
     "Tuyên truyền Kế hoạch “Tháng hành động phòng, chống ma túy” năm 2022", "ma_tuy"),
]

TOPIC_LABELS = {
    "toi_pham": "Phòng, chống tội phạm",
    "ma_tuy": "Phòng, chống ma túy",
    "mua_ban_nguoi": "Phòng, chống mua bán người",
    "khac": "Khác",
}
OUTPUT_LABELS = {
    "tin_bai": "Tin, bài", "phong_su": "Phóng sự", "anh": "Ảnh",
    "phat_thanh": "Phát thanh", "truyen_hinh": "Truyền hình", "mang_xa_hoi": "Mạng xã hội",
    "truyen_thanh_co_so": "Truyền thanh cơ sở", "xe_luu_dong": "Xe lưu động",
    "bang_zon": "Băng zôn", "chieu_phim": "Chiếu phim lưu động", "tu_van": "Tư vấn",
    "tap_huan": "Tập huấn",
}
TITLES = {
    "toi_pham": ["Công an tỉnh ra quân tấn công, trấn áp tội phạm dịp Tết",
                 "Cảnh giác với thủ đoạn lừa đảo chiếm đoạt tài sản qua mạng",
                 "Bảo đảm an ninh trật tự khu vực cửa khẩu"],
    "ma_tuy": ["Triệt phá đường dây vận chuyển ma túy qua biên giới",
               "Xây dựng xã, phường không có tệ nạn ma túy",
               "Hưởng ứng Tháng hành động phòng, chống ma túy"],
    "mua_ban_nguoi": ["Cảnh giác trước thủ đoạn mua bán người qua biên giới",
                      "Giải cứu phụ nữ bị lừa bán sang nước ngoài",
                      "Tuyên truyền phòng, chống mua bán người cho đồng bào vùng cao"],
    "khac": ["Ngày hội toàn dân bảo vệ an ninh Tổ quốc",
             "Phong trào toàn dân bảo vệ an ninh Tổ quốc ở cơ sở"],
}
DOMAINS = {"BAO-LS": "baolangson.example", "PTTH-LS": "langsontv.example"}

MACHINE_HEADER = ["ngay", "chu_de", "hinh_thuc", "so_luong", "ma_xa", "so_nguoi", "tieu_de",
                  "duong_dan", "ghi_chu"]
LABEL_HEADER = ["Ngày", "Chủ đề", "Hình thức", "Số lượng", "Mã xã", "Số người tiếp cận",
                "Tiêu đề", "Đường dẫn", "Ghi chú"]
DIRECTIVE_HEADER = ["Số, ký hiệu", "Ngày ban hành", "Trích yếu", "Chủ đề"]

# how each source saves its file: (format, header, encoding or sheet layout, date style, commune)
STYLES = {
    "STTTT": "xlsx_titled",
    "BAO-LS": "xlsx_titled", "PTTH-LS": "xlsx_baocao",
    "TW-TTXVN": "csv_machine", "TW-VTV": "csv_semicolon_bom", "TW-VOV": "xlsx_plain",
    "TW-NHANDAN": "csv_cp1258", "TW-QDND": "csv_utf16", "TW-CAND": "csv_utf8",
    "TW-PLVN": "xlsx_titled",
    "PVHTT-178": "xlsx_titled", "PVHTT-180": "csv_cp1258", "PVHTT-181": "csv_utf8",
    "PVHTT-182": "xlsx_titled", "PVHTT-183": "csv_semicolon_bom", "PVHTT-184": "csv_cp1258",
    "PVHTT-185": "xlsx_plain", "PVHTT-186": "csv_utf8", "PVHTT-187": "xlsx_titled",
    "PVHTT-188": "csv_cp1258", "PVHTT-189": "xlsx_baocao",
}
# how districts write the commune: its code, its name, or its name typed without diacritics
COMMUNE_HABIT = {"PVHTT-180": "name", "PVHTT-188": "bare_name", "PVHTT-183": "name"}

ON_TIME_DAYS = 10


@dataclass
class Row:
    day: date
    topic: str
    output_type: str
    quantity: int
    commune_code: str | None = None
    people: int | None = None
    title: str | None = None
    url: str | None = None
    note: str | None = None


@dataclass
class Planted:
    kind: str
    source_code: str
    month: str
    file_name: str | None


@dataclass
class SampleResult:
    files: list[Path] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)


class _Generator:
    def __init__(self, period: Period, seed: int, reference: Reference,
                 key_communes: dict[str, int]) -> None:
        self.period = period
        self.rng = random.Random(f"{seed}:{period.code}")
        self.reference = reference
        self.key_communes = key_communes
        self.months = period.months
        # which key-area communes get direct counselling this period (I1) and how much of
        # each at-risk population the period's activities reach (I3)
        codes = sorted(key_communes)
        self.counselled = set(self.rng.sample(codes, k=round(len(codes) * 0.45)))
        self.coverage = {code: self.rng.uniform(0.88, 1.0) if code in self.counselled
                         else self.rng.uniform(0.62, 0.8) for code in codes}
        # each district's usual number of loudspeaker broadcasts per topic and month
        levels = random.Random(f"{seed}:{period.code}:levels")
        self.loudspeaker_level = {district: levels.randint(60, 250) for district in
                                  sorted({c.district_code for c in reference.communes.values()})}

    # --- rows -------------------------------------------------------------------------------

    def _day(self, month: date) -> date:
        return month.replace(day=self.rng.randint(1, month_end(month).day))

    def outlet_rows(self, source_code: str, month: date, *, trafficking: bool,
                    provincial: bool) -> list[Row]:
        rows: list[Row] = []
        if provincial:
            count = self.rng.randint(8, 14)
            types = (["tin_bai", "tin_bai", "anh", "phong_su", "mang_xa_hoi"]
                     if source_code == "BAO-LS"
                     else ["truyen_hinh", "phat_thanh", "phong_su", "tin_bai", "mang_xa_hoi"])
        else:
            count = self.rng.randint(1, 3)
            types = ["tin_bai", "tin_bai", "anh", "phong_su"]
        topics = ["toi_pham", "ma_tuy", "mua_ban_nguoi", "khac"]
        weights = [3, 3, 3, 1] if trafficking else [3, 3, 0, 1]
        chosen = [self.rng.choices(topics, weights)[0] for _ in range(count)]
        if provincial and trafficking and "mua_ban_nguoi" not in chosen:
            chosen[0] = "mua_ban_nguoi"
        for number, topic in enumerate(chosen, start=1):
            domain = DOMAINS.get(source_code, f"{source_code.lower()}.example")
            rows.append(Row(
                day=self._day(month), topic=topic, output_type=self.rng.choice(types),
                quantity=1, title=self.rng.choice(TITLES[topic]),
                url=f"https://{domain}/{month:%Y/%m}/bai-{number:03d}"))
        return sorted(rows, key=lambda row: row.day)

    def training_rows(self, source_code: str, month: date) -> list[Row]:
        reporters = _reporters(source_code)
        if not reporters or month != self.months[min(2, len(self.months) - 1)]:
            return []
        return [Row(day=month.replace(day=18), topic="mua_ban_nguoi", output_type="tap_huan",
                    quantity=1, people=reporters,
                    note="Lớp tập huấn kỹ năng tuyên truyền do Sở TT&TT tổ chức")]

    def district_rows(self, district_code: str, month: date, *, trafficking: bool = True,
                      loudspeaker_factor: int = 1) -> list[Row]:
        """A district office's month: loudspeaker broadcasts on each topic at the district's
        usual level, vehicle runs, banners, radio, film screenings, counselling."""
        rng = self.rng
        level = self.loudspeaker_level[district_code]
        topics = ["toi_pham", "ma_tuy", "mua_ban_nguoi"] if trafficking else ["toi_pham", "ma_tuy"]
        rows = [
            Row(self._day(month), topic, "truyen_thanh_co_so",
                round(level * rng.uniform(0.85, 1.15)) * loudspeaker_factor)
            for topic in topics
        ]
        rows.append(Row(self._day(month), "mua_ban_nguoi" if trafficking and rng.random() < 0.5
                        else "ma_tuy", "xe_luu_dong",
                        rng.randint(1, 4)))
        if rng.random() < 0.7:
            rows.append(Row(self._day(month), rng.choice(["toi_pham", "ma_tuy", "khac"]),
                            "bang_zon", rng.randint(2, 12)))
        rows.append(Row(self._day(month), rng.choice(["toi_pham", "ma_tuy"]), "phat_thanh",
                        rng.randint(1, 6)))
        local = [code for code, commune in self.reference.communes.items()
                 if commune.district_code == district_code and code not in self.key_communes]
        rows.append(Row(self._day(month), "ma_tuy", "chieu_phim", 1,
                        commune_code=rng.choice(local), people=rng.randint(60, 250)))
        if rng.random() < 0.4:
            rows.append(Row(self._day(month), "toi_pham", "tu_van", 1,
                            commune_code=rng.choice(local), people=rng.randint(30, 120)))
        rows += self._key_area_rows(district_code, month)
        return sorted(rows, key=lambda row: (row.day, row.output_type))

    def _key_area_rows(self, district_code: str, month: date) -> list[Row]:
        """Trafficking activities in key-area communes, spread so each reaches its coverage."""
        rows = []
        index = self.months.index(month)
        for code in sorted(self.key_communes):
            if self.reference.communes[code].district_code != district_code:
                continue
            target = round(self.key_communes[code] * self.coverage[code])
            # two activities per commune in the period, in months fixed by the commune's code
            slots = [int(code) % len(self.months), (int(code) // 7 + 3) % len(self.months)]
            if slots[0] == slots[1]:
                slots[1] = (slots[1] + 1) % len(self.months)
            if index not in slots:
                continue
            share = target // 2 if index == slots[0] else target - target // 2
            output_type = "tu_van" if code in self.counselled else "chieu_phim"
            rows.append(Row(self._day(month), "mua_ban_nguoi", output_type, 1,
                            commune_code=code, people=share))
        return rows


def _reporters(source_code: str) -> int | None:
    with open(SEEDS_DIR / "ref_sources.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["source_code"] == source_code and row["reporters_on_beat"]:
                return int(row["reporters_on_beat"])
    return None


def _key_communes() -> dict[str, int]:
    with open(SEEDS_DIR / "ref_key_area_communes.csv", encoding="utf-8", newline="") as handle:
        return {row["commune_code"]: int(row["at_risk_population"])
                for row in csv.DictReader(handle)}


# --- rendering ------------------------------------------------------------------------------

def _commune_cell(source_code: str, commune_code: str | None, reference: Reference) -> str:
    if commune_code is None:
        return ""
    habit = COMMUNE_HABIT.get(source_code, "code")
    name = reference.communes[commune_code].name
    if habit == "name":
        return name
    if habit == "bare_name":
        return fold(name).replace("_", " ").title()
    return commune_code


def cells_of(row: Row, style: str, source_code: str, reference: Reference) -> list[object]:
    machine = style in ("csv_machine", "xlsx_plain")
    is_xlsx = style.startswith("xlsx")
    if is_xlsx:
        day: object = datetime(row.day.year, row.day.month, row.day.day)
    elif machine:
        day = row.day.isoformat()
    elif style == "csv_cp1258":
        day = f"{row.day.day}/{row.day.month}/{row.day.year}"
    else:
        day = f"{row.day:%d/%m/%Y}"
    quantity: object = row.quantity
    if not is_xlsx and isinstance(row.quantity, int) and row.quantity >= 1000:
        quantity = f"{row.quantity:,}".replace(",", ".")
    return [
        day,
        row.topic if machine else TOPIC_LABELS[row.topic],
        row.output_type if machine else OUTPUT_LABELS[row.output_type],
        quantity,
        _commune_cell(source_code, row.commune_code, reference),
        "" if row.people is None else row.people,
        row.title or "", row.url or "", row.note or "",
    ]


def csv_bytes(header: list[str], rows: Iterable[list[object]], style: str) -> bytes:
    buffer = io.StringIO()
    delimiter = {"csv_semicolon_bom": ";", "csv_utf16": "\t"}.get(style, ",")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    text = buffer.getvalue()
    if style == "csv_cp1258":
        return encode_cp1258(text)
    if style == "csv_semicolon_bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if style == "csv_utf16":
        return text.encode("utf-16")
    return text.encode("utf-8")


_FIXED_ZIP_TIME = (2022, 1, 1, 0, 0, 0)


def _deterministic_zip(data: bytes) -> bytes:
    """openpyxl stamps the current time into the archive and the document properties; fix both
    so that a seed always gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2022-01-01T00:00:00Z",
                                 content)
            target.writestr(fixed, content)
    return out.getvalue()


def xlsx_bytes(header: list[str], rows: Iterable[list[object]], style: str, title: str,
               unit_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.properties.created = workbook.properties.modified = datetime(2022, 1, 1)
    sheet = workbook.active
    if style == "xlsx_baocao":
        sheet.title = "Hướng dẫn"
        sheet.append(["Điền số liệu vào trang BaoCao; mỗi dòng là một hoạt động."])
        sheet = workbook.create_sheet("BaoCao")
    else:
        sheet.title = "Sheet1"
    if style == "xlsx_titled":
        sheet.append([unit_name.upper()])
        sheet.append([title])
        sheet.append([])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
        sheet["A1"].font = sheet["A2"].font = Font(bold=True)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def _render(file_name: str, source_code: str, month: date, rows: list[Row],
            reference: Reference) -> bytes:
    style = STYLES[source_code]
    header = MACHINE_HEADER if style in ("csv_machine", "xlsx_plain") else LABEL_HEADER
    cells = [cells_of(row, style, source_code, reference) for row in rows]
    if style.startswith("xlsx"):
        title = f"BÁO CÁO KẾT QUẢ TUYÊN TRUYỀN THÁNG {month.month}/{month.year}"
        return xlsx_bytes(header, cells, style, title, reference.sources[source_code].name)
    return csv_bytes(header, cells, style)


def _render_directives(documents: list[tuple[str, date, str, str]], month: date,
                       reference: Reference) -> bytes:
    cells = [[number, datetime(day.year, day.month, day.day), summary, TOPIC_LABELS[topic]]
             for number, day, summary, topic in documents]
    title = f"DANH MỤC VĂN BẢN CHỈ ĐẠO THÁNG {month.month}/{month.year}"
    return xlsx_bytes(DIRECTIVE_HEADER, cells, "xlsx_titled", title,
                       reference.sources["STTTT"].name)


def _directives_for(period: Period, rng: random.Random) -> list[tuple[str, date, str, str]]:
    if period.code == "2022-H1":
        return DIRECTIVES_2022_H1
    documents, number = [], 30 + period.first_month * 150
    for month in period.months[::2]:
        number += rng.randint(80, 200)
        topic = rng.choice(["toi_pham", "ma_tuy", "mua_ban_nguoi"])
        documents.append((f"{number}/STTTT-TTBCXB", month.replace(day=rng.randint(3, 25)),
                          f"Tuyên truyền {TOPIC_LABELS[topic].lower()} tháng {month.month}",
                          topic))
    return documents


# --- the period -----------------------------------------------------------------------------

def sent_at(rng: random.Random, month: date, days_after_month: int) -> datetime:
    day = month_end(month) + timedelta(days=days_after_month)
    return datetime(day.year, day.month, day.day, rng.randint(7, 16), rng.randint(0, 59),
                    tzinfo=LOCAL_TZ)


def write_file(inbox: Path, file_name: str, data: bytes, sent: datetime,
               result: SampleResult) -> None:
    """Write one submission file with its modification time set to when it was sent."""
    path = inbox / file_name
    path.write_bytes(data)
    timestamp = sent.timestamp()
    os.utime(path, (timestamp, timestamp))
    result.files.append(path)


def generate(period: Period, inbox: Path, seed: int = 1, reference: Reference | None = None,
             *, plant_problems: bool = True) -> SampleResult:
    """Write the period's demo submissions into `inbox` and say what was planted.

    With `plant_problems=False` every source sends a valid file on time each month, with at
    least one trafficking item for each provincial outlet: the clean baseline of the checks.
    """
    reference = reference or Reference.load()
    gen = _Generator(period, seed, reference, _key_communes())
    rng = gen.rng
    inbox.mkdir(parents=True, exist_ok=True)
    result = SampleResult()
    months = period.months

    def planted_month(position: int) -> date | None:
        return months[min(position, len(months) - 1)] if plant_problems else None

    no_trafficking = ("BAO-LS", planted_month(3))
    never_sent = ("PVHTT-189", planted_month(4))
    late = ("PVHTT-184", planted_month(2))
    corrected = ("PVHTT-181", planted_month(1))
    invalid_rows = ("PVHTT-186", planted_month(5))
    corrupt = ("TW-VOV", planted_month(4))
    empty = ("TW-QDND", planted_month(1))
    # the checks of data quality beyond completeness
    quiet_district = _district_without_key_communes(reference, gen.key_communes)
    no_grassroots = (quiet_district, planted_month(2))
    outlier = ("PVHTT-185", planted_month(3))
    no_people = ("PVHTT-183", planted_month(4))
    crowded_commune = sorted(gen.counselled)[0]
    crowded = (_district_source(reference, reference.communes[crowded_commune].district_code),
               planted_month(3))

    for source in reference.sources.values():
        if not source.submits_monthly:
            continue
        for month in months:
            if not source.is_active(month):
                continue
            key = (source.code, month)
            if key == never_sent:
                result.planted.append(Planted("never_submitted", source.code, f"{month:%Y-%m}",
                                              None))
                continue
            if source.kind == "district":
                rows = gen.district_rows(source.district_code, month,
                                         trafficking=key != no_grassroots,
                                         loudspeaker_factor=6 if key == outlier else 1)
                if key == no_grassroots:
                    result.planted.append(Planted("no_grassroots_activity", source.code,
                                                  f"{month:%Y-%m}", None))
                if key == outlier:
                    result.planted.append(Planted("outlier", source.code, f"{month:%Y-%m}",
                                                  None))
                if key == no_people:
                    for row in rows:
                        if row.output_type == "chieu_phim":
                            row.people = None
                    result.planted.append(Planted("film_screening_without_people", source.code,
                                                  f"{month:%Y-%m}", None))
                if key == crowded:
                    population = gen.key_communes[crowded_commune]
                    rows.append(Row(month.replace(day=20), "mua_ban_nguoi", "tu_van", 1,
                                    commune_code=crowded_commune, people=population + 400))
                    result.planted.append(Planted("counselling_over_population", source.code,
                                                  f"{month:%Y-%m}", None))
            elif key == empty:
                rows = []
            else:
                rows = gen.outlet_rows(source.code, month,
                                       trafficking=key != no_trafficking,
                                       provincial=source.kind == "outlet_provincial")
                rows += gen.training_rows(source.code, month)
            extension = "xlsx" if STYLES[source.code].startswith("xlsx") else "csv"
            file_name = f"{source.code}_{month:%Y-%m}.{extension}"
            sent = sent_at(rng, month, rng.randint(1, 8))
            if key == late:
                sent = sent_at(rng, month, 25)
                result.planted.append(Planted("late", source.code, f"{month:%Y-%m}", file_name))
            if key == no_trafficking:
                result.planted.append(Planted("no_trafficking_item", source.code,
                                              f"{month:%Y-%m}", file_name))
            if key == empty:
                result.planted.append(Planted("empty_report", source.code, f"{month:%Y-%m}",
                                              file_name))
            data = _render(file_name, source.code, month, rows, reference)
            if key == corrupt:
                data = data[: len(data) // 2]
                result.planted.append(Planted("corrupt_file", source.code, f"{month:%Y-%m}",
                                              file_name))
            if key == invalid_rows:
                data = _render(file_name, source.code, month, _break(rows, month), reference)
                result.planted.append(Planted("invalid_rows", source.code, f"{month:%Y-%m}",
                                              file_name))
            if key == corrected:
                # the first version has a loudspeaker count typed ten times too high
                wrong = [Row(**{**vars(row), "quantity": row.quantity * 10})
                         if row.output_type == "truyen_thanh_co_so" else row for row in rows]
                first = _render(file_name, source.code, month, wrong, reference)
                write_file(inbox, file_name, first, sent, result)
                file_name = f"{source.code}_{month:%Y-%m}_r2.{extension}"
                sent = sent + timedelta(days=9)
                result.planted.append(Planted("correction", source.code, f"{month:%Y-%m}",
                                              file_name))
            write_file(inbox, file_name, data, sent, result)

    by_month: dict[date, list[tuple[str, date, str, str]]] = {}
    for document in _directives_for(period, rng):
        by_month.setdefault(document[1].replace(day=1), []).append(document)
    for month, documents in sorted(by_month.items()):
        file_name = f"VANBAN_STTTT_{month:%Y-%m}.xlsx"
        write_file(inbox, file_name, _render_directives(documents, month, reference),
                   sent_at(rng, month, 0), result)
    return result


def _district_without_key_communes(reference: Reference, key_communes: dict[str, int]) -> str:
    busy = {reference.communes[code].district_code for code in key_communes}
    return next(source.code for source in reference.sources.values()
                if source.kind == "district" and source.district_code not in busy)


def _district_source(reference: Reference, district_code: str) -> str:
    return next(source.code for source in reference.sources.values()
                if source.kind == "district" and source.district_code == district_code)


def _break(rows: list[Row], month: date) -> list[Row]:
    """The rows with mistakes people make: a count in words, a counselling row without commune."""
    broken = [Row(**vars(row)) for row in rows]
    broken[0].quantity = "hai mươi"  # type: ignore[assignment]
    counselling = next((row for row in broken if row.output_type in ("tu_van", "chieu_phim")),
                       broken[-1])
    counselling.output_type, counselling.commune_code = "tu_van", None
    broken[-1].day = month.replace(day=28) - timedelta(days=40)
    return broken
