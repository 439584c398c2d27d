"""The demo's monthly files: how each source saves its month (a CSV in one of the encodings people
use, or a workbook laid out one of three ways), with the same bytes for the same rows, and its
modification time set to the moment it was sent (ingest reads it as `received_at`)."""

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
from outreach.core.periods import month_end
from outreach.core.registry import Reference
from outreach.core.text import fold

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
    # the addresses a mismatch of the published record is about (`sample_published`)
    urls: tuple[str, ...] = ()


@dataclass
class SampleResult:
    files: list[Path] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)


def file_name_of(source_code: str, month: date, suffix: str = "") -> str:
    """The name a source gives its month's file: `BAO-LS_2022-03.xlsx`, a correction's with
    `suffix` `_r2`."""
    extension = "xlsx" if style_of(source_code).startswith("xlsx") else "csv"
    return f"{source_code}_{month:%Y-%m}{suffix}.{extension}"


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


def render(source_code: str, month: date, rows: list[Row], reference: Reference) -> bytes:
    """A source's month file with these rows, as the source saves it."""
    style = style_of(source_code)
    header = MACHINE_HEADER if style in ("csv_machine", "xlsx_plain") else LABEL_HEADER
    cells = [cells_of(row, style, source_code, reference) for row in rows]
    if style.startswith("xlsx"):
        title = f"BÁO CÁO KẾT QUẢ TUYÊN TRUYỀN THÁNG {month.month}/{month.year}"
        return xlsx_bytes(header, cells, style, title, reference.sources[source_code].name)
    return csv_bytes(header, cells, style)


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
