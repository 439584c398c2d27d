"""Read the cells of a submission (CSV or XLSX) into rows, without interpreting them."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from ingest.text import UndecodableText, decode, nfc

Cell = str | int | float | date | datetime | time | bool | None

PREFERRED_SHEET = "baocao"
_DELIMITERS = (";", ",", "\t")


class UnreadableFile(ValueError):
    """The file cannot be read as a table: why, for the engineer (English) and the sender."""

    def __init__(self, detail_en: str, detail_vi: str) -> None:
        super().__init__(detail_en)
        self.detail_en = detail_en
        self.detail_vi = detail_vi


@dataclass
class Table:
    rows: list[list[Cell]]
    encoding: str | None
    delimiter: str | None
    sheet: str | None


def _choose_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, consistent, columns."""
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ",", (-1, -1)
    for delimiter in _DELIMITERS:
        widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        if not widths:
            continue
        widest = max(widths)
        score = (widest if widest > 1 else 0, sum(width == widest for width in widths))
        if score > best_score:
            best, best_score = delimiter, score
    return best


OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # legacy .xls and encrypted workbooks
MAX_ROWS = 20_000          # a month of one source is tens or hundreds of rows
MAX_COLUMNS = 60
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024   # an xlsx that inflates beyond this is a zip bomb
MAX_COMPRESSION_RATIO = 200


def _too_many_rows(count: int) -> UnreadableFile:
    return UnreadableFile(f"more than {MAX_ROWS} rows ({count} or more)",
                          f"tệp có hơn {MAX_ROWS:,} dòng; một báo cáo tháng không dài như vậy, "
                          "hãy kiểm tra lại tệp".replace(",", "."))


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > max(3, len(text[:65536]) // 100)


def read_csv(data: bytes) -> Table:
    if not data.strip():
        raise UnreadableFile("the file is empty (0 bytes or blank)",
                             "tệp rỗng, không có dòng tiêu đề cột nào")
    if data.startswith(OLE_SIGNATURE) or data.startswith(b"PK\x03\x04"):
        raise UnreadableFile("a spreadsheet saved with a .csv name",
                             "tệp là bảng tính Excel nhưng mang đuôi .csv; hãy lưu dạng .xlsx "
                             "hoặc CSV")
    try:
        text, encoding = decode(data)
    except UndecodableText as exc:
        raise UnreadableFile(f"not text in UTF-8, UTF-16 or Windows-1258 ({exc})",
                             "tệp không phải văn bản UTF-8, UTF-16 hay Windows-1258") from exc
    if "\x00" in text or _looks_binary(text):
        raise UnreadableFile("binary content in a CSV file",
                             "tệp .csv chứa dữ liệu nhị phân, không phải văn bản")
    delimiter = _choose_delimiter(text)
    rows: list[list[Cell]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            if len(rows) >= MAX_ROWS:
                raise _too_many_rows(len(rows) + 1)
            rows.append(list(row[:MAX_COLUMNS]))
    except csv.Error as exc:
        raise UnreadableFile(f"malformed CSV: {exc}", "tệp CSV sai cấu trúc") from exc
    return Table(rows=rows, encoding=encoding, delimiter=delimiter, sheet=None)


def _check_archive(data: bytes) -> None:
    """Refuse what is not a plain xlsx before openpyxl inflates anything."""
    if data.startswith(OLE_SIGNATURE):
        raise UnreadableFile(
            "an OLE compound file: a legacy .xls or a password-protected workbook",
            "tệp là bảng tính Excel cũ (.xls) hoặc có đặt mật khẩu; hãy bỏ mật khẩu và lưu lại "
            "dạng .xlsx (Excel Workbook)")
    if not data.strip():
        raise UnreadableFile("the file is empty (0 bytes)", "tệp rỗng (0 byte)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile("not an xlsx workbook (not a zip archive)",
                             "tệp không phải bảng tính .xlsx hoặc đã bị hỏng")
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as exc:  # zipfile raises BadZipFile, OSError, NotImplementedError ...
        raise UnreadableFile(f"corrupt zip archive: {exc}",
                             "bảng tính .xlsx bị hỏng") from exc
    inflated = sum(member.file_size for member in members)
    packed = max(1, sum(member.compress_size for member in members))
    if inflated > MAX_UNCOMPRESSED_BYTES or inflated / packed > MAX_COMPRESSION_RATIO:
        raise UnreadableFile(
            f"the workbook inflates to {inflated} bytes from {packed} (zip bomb guard)",
            "bảng tính có kích thước giải nén bất thường (quá lớn); hãy chép số liệu sang một "
            "bảng tính mới rồi gửi lại")


def read_xlsx(data: bytes) -> Table:
    # openpyxl is imported here: the CSV path and the DAG parser need none of it.
    from openpyxl import load_workbook

    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on corrupt workbooks
        raise UnreadableFile(f"corrupt xlsx workbook: {type(exc).__name__}: {exc}",
                             "bảng tính .xlsx bị hỏng") from exc
    try:
        names = workbook.sheetnames
        if not names:
            raise UnreadableFile("the workbook has no sheets", "bảng tính không có trang nào")
        chosen = next((name for name in names if name.strip().lower() == PREFERRED_SHEET), names[0])
        rows = _sheet_rows(workbook[chosen])
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(f"corrupt xlsx workbook: {type(exc).__name__}: {exc}",
                             "bảng tính .xlsx bị hỏng") from exc
    finally:
        workbook.close()
    return Table(rows=rows, encoding=None, delimiter=None, sheet=chosen)


def _sheet_rows(sheet) -> list[list[Cell]]:
    """The sheet's values, refusing formulas (their results may never have been computed)."""
    rows: list[list[Cell]] = []
    for row in sheet.iter_rows(max_col=MAX_COLUMNS):
        if len(rows) >= MAX_ROWS:
            raise _too_many_rows(len(rows) + 1)
        values: list[Cell] = []
        for cell in row:
            if getattr(cell, "data_type", None) == "f":
                where = getattr(cell, "coordinate", "?")
                raise UnreadableFile(
                    f"formula in cell {where}: {cell.value}",
                    f"ô {where} chứa công thức ({cell.value}); hãy sao chép và dán dạng giá trị "
                    "(Paste Values) rồi gửi lại")
            value = cell.value
            values.append(nfc(value) if isinstance(value, str) else value)
        rows.append(values)
    return rows


def read_table(data: bytes, extension: str) -> Table:
    if extension == "csv":
        return read_csv(data)
    if extension == "xlsx":
        return read_xlsx(data)
    raise UnreadableFile(f"unsupported extension .{extension}",
                         f"định dạng .{extension} không được nhận")
