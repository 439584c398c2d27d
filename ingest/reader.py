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


def read_csv(data: bytes) -> Table:
    try:
        text, encoding = decode(data)
    except UndecodableText as exc:
        raise UnreadableFile(f"not text in UTF-8, UTF-16 or Windows-1258 ({exc})",
                             "tệp không phải văn bản UTF-8, UTF-16 hay Windows-1258") from exc
    if "\x00" in text:
        raise UnreadableFile("binary content (NUL characters) in a CSV file",
                             "tệp .csv chứa dữ liệu nhị phân, không phải văn bản")
    delimiter = _choose_delimiter(text)
    try:
        rows: list[list[Cell]] = [list(row) for row in csv.reader(io.StringIO(text),
                                                                 delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFile(f"malformed CSV: {exc}", "tệp CSV sai cấu trúc") from exc
    return Table(rows=rows, encoding=encoding, delimiter=delimiter, sheet=None)


def read_xlsx(data: bytes) -> Table:
    # openpyxl is imported here: the CSV path and the DAG parser need none of it.
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile("not an xlsx workbook (not a zip archive)",
                             "tệp không phải bảng tính .xlsx hoặc đã bị hỏng")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on corrupt workbooks
        raise UnreadableFile(f"corrupt xlsx workbook: {type(exc).__name__}: {exc}",
                             "bảng tính .xlsx bị hỏng") from exc
    try:
        names = workbook.sheetnames
        if not names:
            raise UnreadableFile("the workbook has no sheets", "bảng tính không có trang nào")
        chosen = next((name for name in names if name.strip().lower() == PREFERRED_SHEET), names[0])
        sheet = workbook[chosen]
        rows = [[nfc(cell) if isinstance(cell, str) else cell for cell in row]
                for row in sheet.iter_rows(values_only=True)]
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(f"corrupt xlsx workbook: {type(exc).__name__}: {exc}",
                             "bảng tính .xlsx bị hỏng") from exc
    finally:
        workbook.close()
    return Table(rows=rows, encoding=None, delimiter=None, sheet=chosen)


def read_table(data: bytes, extension: str) -> Table:
    if extension == "csv":
        return read_csv(data)
    if extension == "xlsx":
        return read_xlsx(data)
    raise UnreadableFile(f"unsupported extension .{extension}",
                         f"định dạng .{extension} không được nhận")
