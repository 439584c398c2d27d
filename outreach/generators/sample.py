"""Demo submissions: the monthly files the Lạng Sơn sources send for a period, as people send them.

Deterministic for a seed (the same seed gives the same bytes). Calibrated so the report reads like
the real 2022-H1 report. Each month is sent by the sources registered for it: until June 2025 the
two provincial outlets and the eleven district offices, from July 2025 the merged outlet
(BPTTH-LS) and the 65 commune offices (XA-<code>), the central press throughout; the directive
documents by the Sở Thông tin và Truyền thông until February 2025, the Sở Văn hóa, Thể thao và Du
lịch after. The planted problems the pipeline must surface (listed for the districts; after the
reform the same kinds fall on the merged outlet and on commune offices):

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

from ingest.text import encode_cp1258
from ingest.validate import DIRECTIVE_COLUMNS, MONTHLY_COLUMNS
from outreach.core.constants import LOCAL_TZ
from outreach.core.home import SEEDS_DIR
from outreach.core.periods import HALF_YEAR, PHASE, Period, month_end, period_of_kind
from outreach.core.registry import Reference, read_seed
from outreach.core.text import fold

# the directive documents of the real 2022-H1 report (its footnote 1)
DIRECTIVES_2022_H1 = [
    (
        "31/STTTT-TTBCXB",
        date(2022, 1, 7),
        "Tuyên truyền xử lý hành vi hành hại, xâm hại trẻ em",
        "toi_pham",
    ),
    (
        "179/STTTT-TTBCXB",
        date(2022, 1, 21),
        "Tuyên truyền phòng, chống tham nhũng, tiêu cực, lãng phí; "
        "“Ngày hội toàn dân bảo vệ an ninh Tổ quốc”",
        "khac",
    ),
    (
        "253/STTTT-TTBCXB",
        date(2022, 2, 9),
        "Tuyên truyền công tác xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc năm 2022",
        "khac",
    ),
    (
        "695/STTTT-TTBCXB",
        date(2022, 4, 13),
        "Tuyên truyền phòng, chống tội phạm ma túy; mua bán, tàng trữ, vận chuyển vũ khí, "
        "vật liệu nổ và công cụ hỗ trợ",
        "ma_tuy",
    ),
    (
        "1085/STTTT-TTBCXB",
        date(2022, 5, 30),
        "Tuyên truyền Kế hoạch “Tháng hành động phòng, chống ma túy” năm 2022",
        "ma_tuy",
    ),
]

TOPIC_LABELS = {
    "toi_pham": "Phòng, chống tội phạm",
    "ma_tuy": "Phòng, chống ma túy",
    "mua_ban_nguoi": "Phòng, chống mua bán người",
    "khac": "Khác",
}
OUTPUT_LABELS = {
    "tin_bai": "Tin, bài",
    "phong_su": "Phóng sự",
    "anh": "Ảnh",
    "phat_thanh": "Phát thanh",
    "truyen_hinh": "Truyền hình",
    "mang_xa_hoi": "Mạng xã hội",
    "truyen_thanh_co_so": "Truyền thanh cơ sở",
    "xe_luu_dong": "Xe lưu động",
    "bang_zon": "Băng zôn",
    "chieu_phim": "Chiếu phim lưu động",
    "tu_van": "Tư vấn",
    "tap_huan": "Tập huấn",
}
TITLES = {
    "toi_pham": [
        "Công an tỉnh ra quân tấn công, trấn áp tội phạm dịp Tết",
        "Cảnh giác với thủ đoạn lừa đảo chiếm đoạt tài sản qua mạng",
        "Bảo đảm an ninh trật tự khu vực cửa khẩu",
    ],
    "ma_tuy": [
        "Triệt phá đường dây vận chuyển ma túy qua biên giới",
        "Xây dựng xã, phường không có tệ nạn ma túy",
        "Hưởng ứng Tháng hành động phòng, chống ma túy",
    ],
    "mua_ban_nguoi": [
        "Cảnh giác trước thủ đoạn mua bán người qua biên giới",
        "Giải cứu phụ nữ bị lừa bán sang nước ngoài",
        "Tuyên truyền phòng, chống mua bán người cho đồng bào vùng cao",
    ],
    "khac": [
        "Ngày hội toàn dân bảo vệ an ninh Tổ quốc",
        "Phong trào toàn dân bảo vệ an ninh Tổ quốc ở cơ sở",
    ],
}
DOMAINS = {
    "BAO-LS": "baolangson.example",
    "PTTH-LS": "langsontv.example",
    "BPTTH-LS": "baolangson.example",
}

MACHINE_HEADER = [
    "ngay",
    "chu_de",
    "hinh_thuc",
    "so_luong",
    "ma_xa",
    "so_nguoi",
    "tieu_de",
    "duong_dan",
    "ghi_chu",
]
# the contract's own column labels, as a sender's spreadsheet heads them
LABEL_HEADER = [column.label for column in MONTHLY_COLUMNS]
DIRECTIVE_HEADER = [column.label for column in DIRECTIVE_COLUMNS]

# how each source saves its file: (format, header, encoding or sheet layout, date style, commune)
STYLES = {
    "STTTT": "xlsx_titled",
    "BAO-LS": "xlsx_titled",
    "PTTH-LS": "xlsx_baocao",
    "TW-TTXVN": "csv_machine",
    "TW-VTV": "csv_semicolon_bom",
    "TW-VOV": "xlsx_plain",
    "TW-NHANDAN": "csv_cp1258",
    "TW-QDND": "csv_utf16",
    "TW-CAND": "csv_utf8",
    "TW-PLVN": "xlsx_titled",
    "PVHTT-178": "xlsx_titled",
    "PVHTT-180": "csv_cp1258",
    "PVHTT-181": "csv_utf8",
    "PVHTT-182": "xlsx_titled",
    "PVHTT-183": "csv_semicolon_bom",
    "PVHTT-184": "csv_cp1258",
    "PVHTT-185": "xlsx_plain",
    "PVHTT-186": "csv_utf8",
    "PVHTT-187": "xlsx_titled",
    "PVHTT-188": "csv_cp1258",
    "PVHTT-189": "xlsx_baocao",
}
# the merged outlet saves as the newspaper did; commune offices in turn in the formats people use
STYLES["BPTTH-LS"] = "xlsx_titled"
COMMUNE_OFFICE_STYLES = [
    "xlsx_titled",
    "csv_utf8",
    "xlsx_baocao",
    "csv_cp1258",
    "xlsx_plain",
    "csv_semicolon_bom",
    "csv_utf16",
    "csv_machine",
]
# how districts write the commune: its code, its name, or its name typed without diacritics
COMMUNE_HABIT = {"PVHTT-180": "name", "PVHTT-188": "bare_name", "PVHTT-183": "name"}


def style_of(source_code: str) -> str:
    """How a source saves its files: the demo's own habit, a commune office's by its code."""
    if source_code in STYLES:
        return STYLES[source_code]
    digits = int("".join(ch for ch in source_code if ch.isdigit()) or "0")
    return COMMUNE_OFFICE_STYLES[digits // 3 % len(COMMUNE_OFFICE_STYLES)]


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


@dataclass(frozen=True, order=True)
class KeyArea:
    """A key-area commune for the months it is one (the reform reused commune codes)."""

    code: str
    valid_from: str
    valid_to: str
    population: int

    def is_valid_in(self, month: date) -> bool:
        return self.valid_from[:7] <= f"{month:%Y-%m}" and (
            not self.valid_to or f"{month:%Y-%m-%d}" <= self.valid_to
        )


class _Generator:
    def __init__(
        self, period: Period, seed: int, reference: Reference, key_areas: list[KeyArea]
    ) -> None:
        self.period = period
        self.rng = random.Random(f"{seed}:{period.code}")
        self.seed = seed
        self.reference = reference
        # the units valid at the period's start (commune codes were reused by the 2025 reform)
        self.communes = reference.communes_on(period.start)
        self.key_areas = sorted(key_areas)
        self.months = period.months
        # which key-area communes get direct counselling this period (I1) and how much of
        # each at-risk population the period's activities reach (I3)
        self.counselled = set(self.rng.sample(self.key_areas, k=round(len(self.key_areas) * 0.45)))
        self.coverage = {
            area: self.rng.uniform(0.88, 1.0)
            if area in self.counselled
            else self.rng.uniform(0.62, 0.8)
            for area in self.key_areas
        }
        # each office's usual number of loudspeaker broadcasts per topic and month: a district's,
        # then (after the reform) a commune's, about a sixth of it
        levels = random.Random(f"{seed}:{period.code}:levels")
        self.loudspeaker_level = {
            district: levels.randint(60, 250)
            for district in sorted(
                {c.district_code for c in self.communes.values() if c.district_code}
            )
        }
        after = reference.communes_on(period.months[-1])
        self.loudspeaker_level.update(
            {
                code: levels.randint(10, 45)
                for code in sorted(after)
                if not after[code].district_code
            }
        )

    def key_areas_in(self, month: date) -> list[KeyArea]:
        return [area for area in self.key_areas if area.is_valid_in(month)]

    # --- rows -------------------------------------------------------------------------------

    def _day(self, month: date) -> date:
        return month.replace(day=self.rng.randint(1, month_end(month).day))

    def outlet_rows(
        self, source_code: str, month: date, *, trafficking: bool, provincial: bool
    ) -> list[Row]:
        rows: list[Row] = []
        if provincial:
            count = self.rng.randint(8, 14)
            types = (
                ["tin_bai", "tin_bai", "anh", "phong_su", "mang_xa_hoi"]
                if source_code == "BAO-LS"
                else ["truyen_hinh", "phat_thanh", "phong_su", "tin_bai", "mang_xa_hoi"]
            )
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
            rows.append(
                Row(
                    day=self._day(month),
                    topic=topic,
                    output_type=self.rng.choice(types),
                    quantity=1,
                    title=self.rng.choice(TITLES[topic]),
                    url=f"https://{domain}/{month:%Y/%m}/bai-{number:03d}",
                )
            )
        return sorted(rows, key=lambda row: row.day)

    def training_rows(self, source_code: str, month: date) -> list[Row]:
        reporters = _reporters(source_code)
        if not reporters or month != self.months[min(2, len(self.months) - 1)]:
            return []
        return [
            Row(
                day=month.replace(day=18),
                topic="mua_ban_nguoi",
                output_type="tap_huan",
                quantity=1,
                people=reporters,
                note="Lớp tập huấn kỹ năng tuyên truyền do Sở TT&TT tổ chức",
            )
        ]

    def district_rows(
        self,
        district_code: str,
        month: date,
        *,
        trafficking: bool = True,
        loudspeaker_factor: int = 1,
    ) -> list[Row]:
        """A district office's month: loudspeaker broadcasts on each topic at the district's
        usual level, vehicle runs, banners, radio, film screenings, counselling."""
        rng = self.rng
        level = self.loudspeaker_level[district_code]
        topics = ["toi_pham", "ma_tuy", "mua_ban_nguoi"] if trafficking else ["toi_pham", "ma_tuy"]
        rows = [
            Row(
                self._day(month),
                topic,
                "truyen_thanh_co_so",
                round(level * rng.uniform(0.85, 1.15)) * loudspeaker_factor * _campaign(month),
            )
            for topic in topics
        ]
        rows.append(
            Row(
                self._day(month),
                "mua_ban_nguoi" if trafficking and rng.random() < 0.5 else "ma_tuy",
                "xe_luu_dong",
                rng.randint(1, 4),
            )
        )
        if rng.random() < 0.7:
            rows.append(
                Row(
                    self._day(month),
                    rng.choice(["toi_pham", "ma_tuy", "khac"]),
                    "bang_zon",
                    rng.randint(2, 12),
                )
            )
        rows.append(
            Row(
                self._day(month),
                rng.choice(["toi_pham", "ma_tuy"]),
                "phat_thanh",
                rng.randint(1, 6),
            )
        )
        key_codes = {area.code for area in self.key_areas_in(month)}
        local = [
            code
            for code, commune in self.reference.communes_on(month).items()
            if commune.district_code == district_code and code not in key_codes
        ]
        rows.append(
            Row(
                self._day(month),
                "ma_tuy",
                "chieu_phim",
                1,
                commune_code=rng.choice(local),
                people=rng.randint(60, 250),
            )
        )
        if rng.random() < 0.4:
            rows.append(
                Row(
                    self._day(month),
                    "toi_pham",
                    "tu_van",
                    1,
                    commune_code=rng.choice(local),
                    people=rng.randint(30, 120),
                )
            )
        rows += self._key_area_rows(district_code, month)
        return sorted(rows, key=lambda row: (row.day, row.output_type))

    def commune_rows(
        self,
        commune_code: str,
        month: date,
        *,
        trafficking: bool = True,
        loudspeaker_factor: int = 1,
    ) -> list[Row]:
        """A commune office's month (after the reform): the district's kinds of activity at a
        commune's scale, all in its own commune."""
        rng = self.rng
        level = self.loudspeaker_level[commune_code]
        topics = ["toi_pham", "ma_tuy", "mua_ban_nguoi"] if trafficking else ["toi_pham", "ma_tuy"]
        rows = [
            Row(
                self._day(month),
                topic,
                "truyen_thanh_co_so",
                round(level * rng.uniform(0.85, 1.15)) * loudspeaker_factor * _campaign(month),
            )
            for topic in topics
        ]
        if rng.random() < 0.6:
            rows.append(
                Row(
                    self._day(month),
                    "mua_ban_nguoi" if trafficking and rng.random() < 0.5 else "ma_tuy",
                    "xe_luu_dong",
                    rng.randint(1, 2),
                )
            )
        if rng.random() < 0.5:
            rows.append(
                Row(
                    self._day(month),
                    rng.choice(["toi_pham", "ma_tuy", "khac"]),
                    "bang_zon",
                    rng.randint(1, 4),
                )
            )
        key_codes = {area.code for area in self.key_areas_in(month)}
        if commune_code not in key_codes and rng.random() < 0.5:
            rows.append(
                Row(
                    self._day(month),
                    "ma_tuy",
                    "chieu_phim",
                    1,
                    commune_code=commune_code,
                    people=rng.randint(40, 180),
                )
            )
        if commune_code not in key_codes and rng.random() < 0.3:
            rows.append(
                Row(
                    self._day(month),
                    "toi_pham",
                    "tu_van",
                    1,
                    commune_code=commune_code,
                    people=rng.randint(20, 80),
                )
            )
        rows += self._key_area_rows(None, month, commune_code)
        # a commune's page on social media (Zalo, Facebook), which the district offices did not
        # have: drawn apart, so that the rest of the month is what it was without it
        social = random.Random(f"{self.seed}:{commune_code}:{month:%Y-%m}:social")
        if social.random() < 0.3:
            rows.append(
                Row(
                    month.replace(day=social.randint(1, 28)),
                    social.choice(["toi_pham", "ma_tuy", "mua_ban_nguoi"]),
                    "mang_xa_hoi",
                    social.randint(1, 3),
                )
            )
        return sorted(rows, key=lambda row: (row.day, row.output_type))

    def _key_area_rows(
        self, district_code: str | None, month: date, commune_code: str | None = None
    ) -> list[Row]:
        """Trafficking activities in key-area communes, spread so each reaches its coverage:
        a district's key areas, or a commune office's own commune if it is one."""
        rows = []
        units = self.reference.communes_on(month)
        for area in self.key_areas_in(month):
            code = area.code
            if commune_code is not None and code != commune_code:
                continue
            if district_code is not None and units[code].district_code != district_code:
                continue
            target = round(area.population * self.coverage[area])
            # two activities per commune in the months of the period it is a key area in,
            # in months fixed by the commune's code
            months = [m for m in self.months if area.is_valid_in(m)]
            index = months.index(month)
            slots = [int(code) % len(months), (int(code) // 7 + 3) % len(months)]
            if slots[0] == slots[1]:
                slots[1] = (slots[1] + 1) % len(months)
            if index not in slots:
                continue
            share = target // 2 if index == slots[0] else target - target // 2
            output_type = "tu_van" if area in self.counselled else "chieu_phim"
            rows.append(
                Row(
                    self._day(month),
                    "mua_ban_nguoi",
                    output_type,
                    1,
                    commune_code=code,
                    people=share,
                )
            )
        return rows


def _campaign(month: date) -> int:
    """July, the month of the national day against human trafficking (30 July), runs twice as
    many loudspeaker broadcasts (the outlier model expects it: campaign_factor)."""
    return 2 if month.month == 7 else 1


def _reporters(source_code: str) -> int | None:
    for row in read_seed(SEEDS_DIR, "ref_sources"):
        if row["source_code"] == source_code and row["reporters_on_beat"]:
            return int(row["reporters_on_beat"])
    return None


def _key_areas(period: Period) -> list[KeyArea]:
    """The key-area communes of the period, with their at-risk populations."""
    return [
        KeyArea(
            row["commune_code"],
            row["valid_from"],
            row["valid_to"],
            int(row["at_risk_population"]),
        )
        for row in read_seed(SEEDS_DIR, "ref_key_area_communes")
        if row["valid_from"] <= f"{period.end}"
        and (not row["valid_to"] or row["valid_to"] >= f"{period.start}")
    ]


# --- rendering ------------------------------------------------------------------------------


def _commune_cell(
    source_code: str, commune_code: str | None, day: date, reference: Reference
) -> str:
    if commune_code is None:
        return ""
    own = reference.sources[source_code].commune_code if source_code in reference.sources else None
    if own is not None and commune_code == own and int(own) % 2 == 0:
        return ""  # a commune office's own commune: half of them leave the column empty
    habit = COMMUNE_HABIT.get(source_code, "code")
    name = reference.communes_on(day)[commune_code].name
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
        _commune_cell(source_code, row.commune_code, row.day, reference),
        "" if row.people is None else row.people,
        row.title or "",
        row.url or "",
        row.note or "",
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
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2022-01-01T00:00:00Z", content
                )
            target.writestr(fixed, content)
    return out.getvalue()


def xlsx_bytes(
    header: list[str], rows: Iterable[list[object]], style: str, title: str, unit_name: str
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    workbook.properties.created = workbook.properties.modified = datetime(2022, 1, 1)
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
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


def _render(
    file_name: str, source_code: str, month: date, rows: list[Row], reference: Reference
) -> bytes:
    style = style_of(source_code)
    header = MACHINE_HEADER if style in ("csv_machine", "xlsx_plain") else LABEL_HEADER
    cells = [cells_of(row, style, source_code, reference) for row in rows]
    if style.startswith("xlsx"):
        title = f"BÁO CÁO KẾT QUẢ TUYÊN TRUYỀN THÁNG {month.month}/{month.year}"
        return xlsx_bytes(header, cells, style, title, reference.sources[source_code].name)
    return csv_bytes(header, cells, style)


def _render_directives(
    documents: list[tuple[str, date, str, str]],
    month: date,
    reference: Reference,
    issuer: str = "STTTT",
) -> bytes:
    cells = [
        [number, datetime(day.year, day.month, day.day), summary, TOPIC_LABELS[topic]]
        for number, day, summary, topic in documents
    ]
    title = f"DANH MỤC VĂN BẢN CHỈ ĐẠO THÁNG {month.month}/{month.year}"
    return xlsx_bytes(DIRECTIVE_HEADER, cells, "xlsx_titled", title, reference.sources[issuer].name)


def _directives_for(period: Period, rng: random.Random) -> list[tuple[str, date, str, str]]:
    if period.code == "2022-H1":
        return DIRECTIVES_2022_H1
    documents, number = [], 30 + period.first_month.month * 150
    for month in period.months[::2]:
        number += rng.randint(80, 200)
        topic = rng.choice(["toi_pham", "ma_tuy", "mua_ban_nguoi"])
        symbol = "STTTT-TTBCXB" if month < date(2025, 3, 1) else "SVHTTDL-QLBC"
        documents.append(
            (
                f"{number}/{symbol}",
                month.replace(day=rng.randint(3, 25)),
                f"Tuyên truyền {TOPIC_LABELS[topic].lower()} tháng {month.month}",
                topic,
            )
        )
    return documents


# --- the period -----------------------------------------------------------------------------


def sent_at(rng: random.Random, month: date, days_after_month: int) -> datetime:
    day = month_end(month) + timedelta(days=days_after_month)
    return datetime(
        day.year, day.month, day.day, rng.randint(7, 16), rng.randint(0, 59), tzinfo=LOCAL_TZ
    )


def write_file(
    inbox: Path, file_name: str, data: bytes, sent: datetime, result: SampleResult
) -> None:
    """Write one submission file with its modification time set to when it was sent."""
    path = inbox / file_name
    path.write_bytes(data)
    timestamp = sent.timestamp()
    os.utime(path, (timestamp, timestamp))
    result.files.append(path)


def generate(
    period: Period,
    inbox: Path,
    seed: int = 1,
    reference: Reference | None = None,
    *,
    plant_problems: bool = True,
) -> SampleResult:
    """Write the period's demo submissions into `inbox` and say what was planted.

    With `plant_problems=False` every source sends a valid file on time each month, with at
    least one trafficking item for each provincial outlet: the clean baseline of the checks.
    A programme phase is written half-year by half-year, each as `--period` of that half-year
    writes it (the same bytes: a half-year sampled twice is one submission).
    """
    reference = reference or Reference.load()
    if period.kind == PHASE:
        result = SampleResult()
        half_year = period_of_kind(HALF_YEAR, period.first_month)
        while half_year.first_month <= period.last_month:
            part = generate(half_year, inbox, seed, reference, plant_problems=plant_problems)
            result.files += part.files
            result.planted += part.planted
            half_year = half_year.shifted(6)
        return result
    gen = _Generator(period, seed, reference, _key_areas(period))
    rng = gen.rng
    inbox.mkdir(parents=True, exist_ok=True)
    result = SampleResult()
    months = period.months

    def planted_month(position: int) -> date | None:
        return months[min(position, len(months) - 1)] if plant_problems else None

    roles = _planted_sources(reference, gen, planted_month)
    # a period still under way: only the months whose files have all been sent by now
    now = datetime.now(LOCAL_TZ)
    sent_by_now = [month for month in months if sent_at(random.Random(0), month, 9) <= now]
    no_trafficking = roles["no_trafficking"]
    never_sent = roles["never_sent"]
    late = roles["late"]
    corrected = roles["corrected"]
    invalid_rows = roles["invalid_rows"]
    corrupt = ("TW-VOV", planted_month(4))
    empty = ("TW-QDND", planted_month(1))
    # the checks of data quality beyond completeness
    no_grassroots = roles["no_grassroots"]
    outlier = roles["outlier"]
    no_people = roles["no_people"]
    crowded_area, crowded = roles["crowded"]

    for source in reference.sources.values():
        if not source.submits_monthly:
            continue
        for month in sent_by_now:
            if not source.is_active(month):
                continue
            key = (source.code, month)
            if key == never_sent:
                result.planted.append(
                    Planted("never_submitted", source.code, f"{month:%Y-%m}", None)
                )
                continue
            if source.kind in ("district", "commune"):
                if source.kind == "district":
                    assert source.district_code is not None  # a district office has its district
                    rows = gen.district_rows(
                        source.district_code,
                        month,
                        trafficking=key != no_grassroots,
                        loudspeaker_factor=6 if key == outlier else 1,
                    )
                else:
                    assert source.commune_code is not None  # a commune office has its commune
                    rows = gen.commune_rows(
                        source.commune_code,
                        month,
                        trafficking=key != no_grassroots,
                        loudspeaker_factor=6 if key == outlier else 1,
                    )
                if key == no_grassroots:
                    result.planted.append(
                        Planted("no_grassroots_activity", source.code, f"{month:%Y-%m}", None)
                    )
                if key == outlier:
                    result.planted.append(Planted("outlier", source.code, f"{month:%Y-%m}", None))
                if key == no_people:
                    if not any(row.output_type == "chieu_phim" for row in rows):
                        rows.append(
                            Row(
                                month.replace(day=12),
                                "ma_tuy",
                                "chieu_phim",
                                1,
                                commune_code=source.commune_code,
                            )
                        )
                    for row in rows:
                        if row.output_type == "chieu_phim":
                            row.people = None
                    result.planted.append(
                        Planted(
                            "film_screening_without_people", source.code, f"{month:%Y-%m}", None
                        )
                    )
                if key == crowded:
                    rows.append(
                        Row(
                            month.replace(day=20),
                            "mua_ban_nguoi",
                            "tu_van",
                            1,
                            commune_code=crowded_area.code,
                            people=crowded_area.population + 400,
                        )
                    )
                    result.planted.append(
                        Planted("counselling_over_population", source.code, f"{month:%Y-%m}", None)
                    )
            elif key == empty:
                rows = []
            else:
                rows = gen.outlet_rows(
                    source.code,
                    month,
                    trafficking=key != no_trafficking,
                    provincial=source.kind == "outlet_provincial",
                )
                rows += gen.training_rows(source.code, month)
            extension = "xlsx" if style_of(source.code).startswith("xlsx") else "csv"
            file_name = f"{source.code}_{month:%Y-%m}.{extension}"
            sent = sent_at(rng, month, rng.randint(1, 8))
            if key == late:
                sent = min(sent_at(rng, month, 25), now)
                result.planted.append(Planted("late", source.code, f"{month:%Y-%m}", file_name))
            if key == no_trafficking:
                result.planted.append(
                    Planted("no_trafficking_item", source.code, f"{month:%Y-%m}", file_name)
                )
            if key == empty:
                result.planted.append(
                    Planted("empty_report", source.code, f"{month:%Y-%m}", file_name)
                )
            data = _render(file_name, source.code, month, rows, reference)
            if key == corrupt:
                data = data[: len(data) // 2]
                result.planted.append(
                    Planted("corrupt_file", source.code, f"{month:%Y-%m}", file_name)
                )
            if key == invalid_rows:
                data = _render(file_name, source.code, month, _break(rows, month), reference)
                result.planted.append(
                    Planted("invalid_rows", source.code, f"{month:%Y-%m}", file_name)
                )
            if key == corrected:
                # the first version has a loudspeaker count typed ten times too high
                wrong = [
                    Row(**{**vars(row), "quantity": row.quantity * 10})
                    if row.output_type == "truyen_thanh_co_so"
                    else row
                    for row in rows
                ]
                first = _render(file_name, source.code, month, wrong, reference)
                write_file(inbox, file_name, first, sent, result)
                file_name = f"{source.code}_{month:%Y-%m}_r2.{extension}"
                sent = sent + timedelta(days=9)
                result.planted.append(
                    Planted("correction", source.code, f"{month:%Y-%m}", file_name)
                )
            write_file(inbox, file_name, data, sent, result)

    by_month: dict[date, list[tuple[str, date, str, str]]] = {}
    for document in _directives_for(period, rng):
        by_month.setdefault(document[1].replace(day=1), []).append(document)
    for month, documents in sorted(by_month.items()):
        if month not in sent_by_now:
            continue
        issuer = _department_on(reference, month)
        if issuer is None:  # before the registry's first month: nobody to issue them
            continue
        file_name = f"VANBAN_{issuer}_{month:%Y-%m}.xlsx"
        write_file(
            inbox,
            file_name,
            _render_directives(documents, month, reference, issuer),
            sent_at(rng, month, 0),
            result,
        )
    return result


def _department_on(reference: Reference, month: date) -> str | None:
    """The department registered for the month: who issues the directive documents."""
    return next(
        (
            source.code
            for source in reference.sources.values()
            if source.kind == "department" and source.is_active(month)
        ),
        None,
    )


def _planted_sources(reference: Reference, gen: _Generator, planted_month) -> dict:
    """Which source each planted problem falls on, by the sources registered in its month:
    the districts' offices and BAO-LS until June 2025, the communes' and BPTTH-LS after."""

    def kind_in(month: date | None) -> str:
        month = month or gen.months[0]  # nothing planted: any month of the period
        local = {
            source.kind
            for source in reference.sources.values()
            if source.kind in ("district", "commune") and source.is_active(month)
        }
        return "commune" if "commune" in local else "district"

    def offices(month: date | None) -> list[str]:
        return sorted(
            source.code
            for source in reference.sources.values()
            if source.kind == "commune" and source.is_active(month or gen.months[0])
        )

    roles: dict[str, object] = {}
    month = planted_month(3)
    roles["no_trafficking"] = ("BAO-LS" if kind_in(month) == "district" else "BPTTH-LS", month)
    by_district = {
        "never_sent": ("PVHTT-189", 4),
        "late": ("PVHTT-184", 2),
        "corrected": ("PVHTT-181", 1),
        "invalid_rows": ("PVHTT-186", 5),
        "outlier": ("PVHTT-185", 3),
        "no_people": ("PVHTT-183", 4),
    }
    # the commune offices' counterparts, spread over the list of offices
    by_commune = {
        "never_sent": -1,
        "late": 5,
        "corrected": 10,
        "invalid_rows": 15,
        "outlier": 20,
        "no_people": 25,
    }
    for role, (district_source, position) in by_district.items():
        month = planted_month(position)
        if kind_in(month) == "district":
            roles[role] = (district_source, month)
        else:
            roles[role] = (offices(month)[by_commune[role]], month)
    month = planted_month(2)
    if kind_in(month) == "district":
        roles["no_grassroots"] = (_district_without_key_communes(reference, gen, month), month)
    else:
        key_codes = {area.code for area in gen.key_areas_in(month or gen.months[0])}
        roles["no_grassroots"] = (
            next(code for code in offices(month) if code.removeprefix("XA-") not in key_codes),
            month,
        )
    month = planted_month(3)
    in_month = [area for area in sorted(gen.counselled) if month is None or area.is_valid_in(month)]
    area = in_month[0] if in_month else sorted(gen.counselled)[0]
    if kind_in(month) == "district":
        district = reference.communes_on(month or gen.months[0])[area.code].district_code
        assert district is not None  # before the reform every commune is in a district
        roles["crowded"] = (area, (_district_source(reference, district), month))
    else:
        roles["crowded"] = (area, (f"XA-{area.code}", month))
    return roles


def _district_without_key_communes(
    reference: Reference, gen: _Generator, month: date | None
) -> str:
    day = month or gen.months[0]
    units = reference.communes_on(day)
    busy = {units[area.code].district_code for area in gen.key_areas_in(day)}
    return next(
        source.code
        for source in reference.sources.values()
        if source.kind == "district" and source.district_code not in busy
    )


def _district_source(reference: Reference, district_code: str) -> str:
    return next(
        source.code
        for source in reference.sources.values()
        if source.kind == "district" and source.district_code == district_code
    )


def _break(rows: list[Row], month: date) -> list[Row]:
    """The rows with mistakes people make: a count in words, a counselling row without commune."""
    broken = [Row(**vars(row)) for row in rows]
    broken[0].quantity = "hai mươi"  # type: ignore[assignment]
    counselling = next(
        (row for row in broken if row.output_type in ("tu_van", "chieu_phim")), broken[-1]
    )
    counselling.output_type, counselling.commune_code = "tu_van", None
    broken[-1].day = month.replace(day=28) - timedelta(days=40)
    return broken
