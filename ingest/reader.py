"""Read the cells of a submission (CSV or XLSX) into rows, without interpreting them."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from ingest.legacy import TCVN3, VNI, Repair, repair_cells
from ingest.text import UndecodableText, decode
from ingest.xlsx import (
    SheetInfo,
    WorkbookTooLarge,
    is_opendocument,
    is_strict,
    overlong_number,
    scan_workbook,
)
from outreach.core.text import fold, nfc

Cell = str | int | float | date | datetime | time | bool | None
log = logging.getLogger(__name__)

PREFERRED_SHEETS = frozenset({"baocao", "bao_cao"})
# sheets of a template that are not the report: its worked example and its instructions
EXAMPLE_SHEETS = frozenset(
    {"mau", "vi_du", "mau_vi_du", "vd", "huong_dan", "example", "instructions", "sample"}
)
_DELIMITERS = (";", ",", "\t")
LEGACY_FONTS = (TCVN3, VNI)


class UnreadableFile(ValueError):
    """The file cannot be read as a table: why, for the engineer (English) and the sender."""

    def __init__(self, detail_en: str, detail_vi: str) -> None:
        super().__init__(detail_en)
        self.detail_en = detail_en
        self.detail_vi = detail_vi


@dataclass
class Table:
    """The cells of the sheet (or CSV) that was read, and what reading it found on the way."""

    rows: list[list[Cell]]
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    hidden_rows: frozenset[int] = frozenset()  # 1-based, as Excel numbers rows
    filtered: bool = False  # the hidden rows are an AutoFilter's
    widths: list[int] | None = None  # CSV: fields on each record, as written
    repair: Repair | None = None  # text converted from a legacy font
    merged: tuple[str, ...] = ()  # XLSX: the sheet's merged ranges, as "A5:A7"


def _choose_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, consistent, columns."""
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ",", (-1, -1)
    for delimiter in _DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        if not widths:
            continue
        widest = max(widths)
        score = (widest if widest > 1 else 0, sum(width == widest for width in widths))
        if score > best_score:
            best, best_score = delimiter, score
    return best


OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls and encrypted workbooks
MAX_ROWS = 20_000  # a month of one source is tens or hundreds of rows
MAX_COLUMNS = 60
MAX_CELL_CHARS = 32_767  # Excel's own limit: a longer cell was not typed into a spreadsheet
MAX_NUMBER_CHARS = 4_000  # below Python's 4,300-digit limit for int(); no figure comes near
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024  # an xlsx that inflates beyond this is a zip bomb
MAX_COMPRESSION_RATIO = 200


def _grouped(number: int) -> str:
    """A number as Vietnamese writes it: 20.000."""
    return f"{number:,}".replace(",", ".")


def _too_many_rows(count: int, cell: str | None = None) -> UnreadableFile:
    """More rows than a month's report has; `cell`: the last cell holding a value, in a sheet
    whose rows are counted to it (often one stray cell far below the table)."""
    if cell is None:
        return UnreadableFile(
            f"more than {MAX_ROWS} rows ({count} or more)",
            f"tệp có hơn {_grouped(MAX_ROWS)} dòng (ít nhất {_grouped(count)} dòng); một báo "
            "cáo tháng không dài như vậy, hãy kiểm tra lại tệp",
        )
    where_en = f"cell {cell}" if cell else f"a cell of row {count}"
    where_vi = f"ô {cell}" if cell else f"một ô ở dòng {_grouped(count)}"
    return UnreadableFile(
        f"more than {MAX_ROWS} rows: {where_en} (row {count}) holds a value, far below where a "
        "month's table ends; if it was typed by mistake, clear it (or delete the rows below the "
        "table)",
        f"tệp có hơn {_grouped(MAX_ROWS)} dòng vì {where_vi} (dòng {_grouped(count)}) có giá "
        "trị, xa bên dưới bảng số liệu; nếu đó là ô gõ nhầm, hãy xoá nội dung ô đó (hoặc xoá "
        "các dòng thừa bên dưới bảng) rồi gửi lại",
    )


def _cell_too_long(row_number: int, length: int) -> UnreadableFile:
    return UnreadableFile(
        f"record {row_number}: a cell of {length} characters or more (at most {MAX_CELL_CHARS})",
        f"dòng {row_number} có một ô dài hơn {_grouped(MAX_CELL_CHARS)} ký tự; thường do thiếu "
        "dấu ngoặc kép đóng hoặc dán nhầm cả văn bản vào một ô",
    )


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > max(3, len(text[:65536]) // 100)


def read_csv(data: bytes) -> Table:
    if not data.strip():
        raise UnreadableFile(
            "the file is empty (0 bytes or blank)", "tệp rỗng, không có dòng tiêu đề cột nào"
        )
    if data.startswith(OLE_SIGNATURE) or data.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            "a spreadsheet saved with a .csv name",
            "tệp là bảng tính Excel nhưng mang đuôi .csv; hãy lưu dạng .xlsx hoặc CSV",
        )
    try:
        text, encoding = decode(data)
    except UndecodableText as exc:
        raise UnreadableFile(
            "not text in UTF-8, UTF-16 or Windows-1258",
            "tệp không phải văn bản UTF-8, UTF-16 hay Windows-1258",
        ) from exc
    if not text.strip():  # a byte order mark and nothing else (or blank lines after it)
        raise UnreadableFile(
            "the file is empty (a byte order mark and nothing else)",
            "tệp rỗng: chỉ có dấu đánh dấu bảng mã (BOM), không có dòng tiêu đề cột nào",
        )
    if "\x00" in text or _looks_binary(text):
        raise UnreadableFile(
            "binary content in a CSV file", "tệp .csv chứa dữ liệu nhị phân, không phải văn bản"
        )
    delimiter = _choose_delimiter(text)
    rows, widths = _csv_records(text, delimiter)
    repair = None
    if encoding in LEGACY_FONTS:
        repair = Repair(
            encoding,
            sum(1 for row in rows for cell in row if isinstance(cell, str) and not cell.isascii()),
        )
    elif encoding != "cp1258":
        rows, repair = _repaired(rows)
    return Table(
        rows=rows, encoding=encoding, delimiter=delimiter, sheet=None, widths=widths, repair=repair
    )


def _csv_records(text: str, delimiter: str) -> tuple[list[list[Cell]], list[int]]:
    """The records of a CSV text, refusing (with the record and line) what a spreadsheet would
    not have written: a quote never closed, text after a closing quote, a cell too long, or a
    quoted cell whose lines read as rows of their own."""
    rows: list[list[Cell]] = []
    widths: list[int] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number = len(rows) + 1
            if "field larger than field limit" in str(exc):
                raise _cell_too_long(number, MAX_CELL_CHARS) from exc
            if "unexpected end of data" in str(exc) or "EOF" in str(exc):
                raise UnreadableFile(
                    f"record {number} (line {first_line}): a quotation mark is never closed",
                    f'dòng {number} (dòng {first_line} của tệp văn bản) mở dấu ngoặc kép (") mà '
                    "không đóng, nên mọi dòng sau bị gộp vào một ô; hãy đóng hoặc xoá dấu "
                    "ngoặc kép đó",
                ) from exc
            raise UnreadableFile(
                f"record {number} (line {first_line}): malformed CSV (text after a closing "
                "quotation mark)",
                f"dòng {number} (dòng {first_line} của tệp văn bản) sai cấu trúc CSV: sau dấu "
                "ngoặc kép đóng phải là dấu phân cách; hãy lưu lại tệp bằng Excel",
            ) from exc
        if len(rows) >= MAX_ROWS:
            raise _too_many_rows(len(rows) + 1)
        for cell in row:
            if len(cell) > MAX_CELL_CHARS:
                raise _cell_too_long(len(rows) + 1, len(cell))
            if "\n" in cell and any(line.count(delimiter) >= 2 for line in cell.splitlines()[1:]):
                raise UnreadableFile(
                    f"record {len(rows) + 1} (line {first_line}): a quoted cell holds lines "
                    "that read as rows (a quotation mark is probably not closed)",
                    f"dòng {len(rows) + 1} (dòng {first_line} của tệp văn bản) có một ô trong "
                    "ngoặc kép chứa nhiều dòng giống các dòng số liệu: có lẽ một dấu ngoặc kép "
                    "không được đóng; hãy kiểm tra lại",
                )
        widths.append(len(row))
        rows.append(list(row[:MAX_COLUMNS]))
    return rows, widths


def _repaired(rows: list[list[Cell]]) -> tuple[list[list[Cell]], Repair | None]:
    """The rows with text typed in a legacy font (or UTF-8 decoded twice) converted."""
    texts = [cell for row in rows for cell in row if isinstance(cell, str) and not cell.isascii()]
    if not texts:
        return rows, None
    replaced, repair = repair_cells(texts)
    if not replaced:
        return rows, None
    return [
        [replaced.get(cell, cell) if isinstance(cell, str) else cell for cell in row]
        for row in rows
    ], repair


def _check_archive(data: bytes) -> None:
    """Refuse what is not a plain xlsx before openpyxl inflates anything."""
    if data.startswith(OLE_SIGNATURE):
        raise UnreadableFile(
            "an OLE compound file: a legacy .xls or a password-protected workbook",
            "tệp là bảng tính Excel cũ (.xls) hoặc có đặt mật khẩu; hãy bỏ mật khẩu và lưu lại "
            "dạng .xlsx (Excel Workbook)",
        )
    if not data.strip():
        raise UnreadableFile("the file is empty (0 bytes)", "tệp rỗng (0 byte)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile(
            "not an xlsx workbook (not a zip archive)",
            "tệp không phải bảng tính .xlsx hoặc đã bị hỏng",
        )
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as exc:  # zipfile raises BadZipFile, OSError, NotImplementedError ...
        raise _corrupt(exc) from exc
    inflated = sum(member.file_size for member in members)
    packed = max(1, sum(member.compress_size for member in members))
    if inflated > MAX_UNCOMPRESSED_BYTES or inflated / packed > MAX_COMPRESSION_RATIO:
        raise UnreadableFile(
            f"the workbook inflates to {inflated} bytes from {packed} (zip bomb guard)",
            "bảng tính có kích thước giải nén bất thường (quá lớn); hãy chép số liệu sang một "
            "bảng tính mới rồi gửi lại",
        )


def _corrupt(exc: Exception) -> UnreadableFile:
    """A workbook that cannot be read: the library's own words go to the log, not the sender."""
    log.warning("corrupt xlsx workbook: %s: %s", type(exc).__name__, str(exc)[:300])
    return UnreadableFile(
        "corrupt xlsx workbook (the library's error is in the ingest log)",
        "bảng tính .xlsx bị hỏng",
    )


def _find_overlong_number(data: bytes, sheets: list[SheetInfo]) -> tuple[str, str] | None:
    """Why a read failed, when it is a number no one could have meant (openpyxl's int() fails)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return overlong_number(archive, sheets, MAX_NUMBER_CHARS)
    except Exception:  # the sheet is malformed as well: it is corrupt
        return None


def _overlong_number(sheet: str, cell: str) -> UnreadableFile:
    where_vi = f"ô {cell} của trang '{sheet}'" if cell else f"một ô của trang '{sheet}'"
    where_en = f"cell {cell} of sheet '{sheet}'" if cell else f"a cell of sheet '{sheet}'"
    return UnreadableFile(
        f"{where_en} holds a number of more than {MAX_NUMBER_CHARS} digits, which is no date "
        "or count: correct or clear it",
        f"{where_vi} có một số dài hơn {_grouped(MAX_NUMBER_CHARS)} chữ số, không thể là ngày "
        "hay số lượng; hãy sửa hoặc xoá ô đó",
    )


def _check_flavour(archive: zipfile.ZipFile) -> None:
    """Refuse, by name, the spreadsheets that are zip archives but not the xlsx ingest reads."""
    if is_opendocument(archive):
        raise UnreadableFile(
            "an OpenDocument spreadsheet (.ods) with an .xlsx name",
            "tệp là bảng tính OpenDocument (.ods, của LibreOffice hoặc OpenOffice) mang đuôi "
            ".xlsx; hãy mở tệp, chọn Lưu thành (Save As) dạng Excel 2007-365 (.xlsx)",
        )
    if is_strict(archive):
        raise UnreadableFile(
            "a Strict Open XML workbook (ingest reads the usual, transitional .xlsx)",
            "bảng tính được lưu dạng Strict Open XML Spreadsheet; hãy mở bằng Excel, chọn Lưu "
            "thành (Save As) dạng Excel Workbook (.xlsx) thông thường",
        )


def is_example_sheet(name: str) -> bool:
    key = fold(name)
    return key in EXAMPLE_SHEETS or key.startswith(("vi_du", "huong_dan"))


HasHeader = Callable[[list[list[Cell]]], bool]


def read_xlsx(data: bytes, has_header: HasHeader | None = None) -> Table:
    """The sheet to read: one named BaoCao or Báo cáo (any case and diacritics), else the first
    visible sheet that holds a header (`has_header` of its first rows), never a template's example
    or instructions sheet."""
    # openpyxl is imported here: the CSV path and the DAG parser need none of it.
    from openpyxl import load_workbook

    _check_archive(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_flavour(archive)
            sheets = scan_workbook(archive)
    except WorkbookTooLarge as exc:
        raise UnreadableFile(
            exc.detail_en,
            exc.detail_vi + "; hãy chép riêng bảng số liệu sang một bảng tính mới rồi gửi lại",
        ) from exc
    except UnreadableFile:
        raise
    except Exception as exc:  # expat, zipfile and malformed parts raise many kinds
        raise _corrupt(exc) from exc
    if not sheets:
        raise UnreadableFile("the workbook has no sheets", "bảng tính không có trang nào")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on corrupt workbooks
        raise _corrupt(exc) from exc
    try:
        chosen = _choose_sheet(workbook, sheets, has_header)
        if chosen.last_value_row > MAX_ROWS:
            raise _too_many_rows(chosen.last_value_row, chosen.last_value_cell)
        rows = _sheet_rows(workbook[chosen.name], chosen.last_value_row)
    except UnreadableFile:
        raise
    except Exception as exc:
        found = _find_overlong_number(data, sheets)
        if found is not None:
            raise _overlong_number(*found) from exc
        raise _corrupt(exc) from exc
    finally:
        workbook.close()
    rows, repair = _repaired(rows)
    hidden = frozenset(row for row in chosen.hidden_rows if row <= len(rows))
    return Table(
        rows=rows,
        encoding=None,
        delimiter=None,
        sheet=chosen.name,
        hidden_rows=hidden,
        filtered=chosen.filtered and bool(hidden),
        repair=repair,
        merged=tuple(chosen.merged),
    )


def _choose_sheet(workbook, sheets: list[SheetInfo], has_header: HasHeader | None) -> SheetInfo:
    visible = [sheet for sheet in sheets if sheet.visible and sheet.name in workbook.sheetnames]
    preferred = [sheet for sheet in visible if fold(sheet.name) in PREFERRED_SHEETS]
    ordinary = [
        sheet for sheet in visible if sheet not in preferred and not is_example_sheet(sheet.name)
    ]
    if has_header is None:
        candidates = preferred + ordinary or visible
        if not candidates:
            raise UnreadableFile(
                "every sheet of the workbook is hidden", "mọi trang của bảng tính đều bị ẩn"
            )
        return candidates[0]

    def holds_header(sheet: SheetInfo) -> bool:
        return has_header(_sheet_rows(workbook[sheet.name], HEADER_ROWS, probe=True))

    for sheet in preferred + ordinary:
        if holds_header(sheet):
            return sheet
    examples = [sheet for sheet in visible if is_example_sheet(sheet.name)]
    if any(holds_header(sheet) for sheet in examples):
        names = ", ".join(f"'{sheet.name}'" for sheet in examples)
        raise UnreadableFile(
            f"only the template's example or instructions sheet ({names}) holds a table",
            f"chỉ trang {names} (trang mẫu, ví dụ hoặc hướng dẫn của biểu mẫu) có bảng; số liệu "
            "của đơn vị hãy nhập vào một trang riêng đặt tên BaoCao",
        )
    hidden = [sheet for sheet in sheets if not sheet.visible and sheet.name in workbook.sheetnames]
    for sheet in hidden:
        if holds_header(sheet):
            raise UnreadableFile(
                f"the table is on the hidden sheet '{sheet.name}'",
                f"bảng số liệu nằm ở trang '{sheet.name}' đang bị ẩn; hãy hiện trang đó "
                "(Unhide) hoặc chép số liệu sang trang BaoCao",
            )
    candidates = preferred + ordinary or visible
    if not candidates:
        raise UnreadableFile(
            "every sheet of the workbook is hidden", "mọi trang của bảng tính đều bị ẩn"
        )
    return candidates[0]


HEADER_ROWS = 30  # a header is looked for among a sheet's first rows


def _sheet_rows(sheet, last_row: int, *, probe: bool = False) -> list[list[Cell]]:
    """The sheet's values up to `last_row`, refusing formulas (their results may never have been
    computed). A `probe` only looks for a header: a sheet it passes over may hold formulas."""
    rows: list[list[Cell]] = []
    if last_row <= 0:
        return rows
    for row in sheet.iter_rows(max_col=MAX_COLUMNS, max_row=last_row):
        if not probe and len(rows) >= MAX_ROWS:
            raise _too_many_rows(len(rows) + 1)
        values: list[Cell] = []
        for cell in row:
            if probe:
                values.append(cell.value)
                continue
            if getattr(cell, "data_type", None) == "f":
                where = getattr(cell, "coordinate", "?")
                raise UnreadableFile(
                    f"formula in cell {where}: {cell.value}",
                    f"ô {where} chứa công thức ({cell.value}); hãy sao chép và dán dạng giá trị "
                    "(Paste Values) rồi gửi lại",
                )
            value = cell.value
            if isinstance(value, str):
                if len(value) > MAX_CELL_CHARS:
                    raise _cell_too_long(len(rows) + 1, len(value))
                value = nfc(value)
            values.append(value)
        rows.append(values)
    return rows


def read_table(data: bytes, extension: str, has_header: HasHeader | None = None) -> Table:
    if extension == "csv":
        return read_csv(data)
    if extension == "xlsx":
        return read_xlsx(data, has_header)
    raise UnreadableFile(
        f"unsupported extension .{extension}", f"định dạng .{extension} không được nhận"
    )
