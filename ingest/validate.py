"""Check a table of cells against the submission contract and turn it into typed records."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urlparse

from ingest.naming import DIRECTIVES, SubmissionName
from ingest.problems import Problem, error, warning
from ingest.reader import Cell, Table
from ingest.reference import Reference, Source
from ingest.text import fold, nfc
from outreach.calendar import CALENDAR_MONTH, ReportingCalendar
from outreach.settings import settings

HEADER_SEARCH_ROWS = 30
# no count of one month of one source comes near this; beyond it a number is a typing error
# (and would not fit the warehouse's 64-bit integers)
MAX_WHOLE_NUMBER = 1_000_000_000


class InvalidValue(ValueError):
    def __init__(self, expected_vi: str, expected_en: str) -> None:
        super().__init__(expected_en)
        self.expected_vi = expected_vi
        self.expected_en = expected_en


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    required: bool
    aliases: tuple[str, ...] = ()

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset({fold(self.name), fold(self.label),
                          *(fold(alias) for alias in self.aliases)})


MONTHLY_COLUMNS = (
    Column("ngay", "Ngày", True, ("ngày tháng", "thời gian", "ngày thực hiện", "ngày đăng")),
    Column("chu_de", "Chủ đề", True, ("nội dung", "lĩnh vực")),
    Column("hinh_thuc", "Hình thức", True, ("loại hình", "hình thức tuyên truyền")),
    Column("so_luong", "Số lượng", True, ("số lượng tin bài", "sl")),
    Column("ma_xa", "Mã xã", False, ("xã", "tên xã", "xã, phường, thị trấn", "địa bàn")),
    Column("so_nguoi", "Số người tiếp cận", False, ("số người", "số người được tiếp cận",
                                                     "số lượt người")),
    Column("tieu_de", "Tiêu đề", False, ("tên tin bài", "tên bài")),
    Column("duong_dan", "Đường dẫn", False, ("link", "url", "liên kết")),
    Column("ghi_chu", "Ghi chú", False, ()),
)

DIRECTIVE_COLUMNS = (
    Column("so_ky_hieu", "Số, ký hiệu", True, ("số ký hiệu", "số văn bản", "số hiệu")),
    Column("ngay_ban_hanh", "Ngày ban hành", True, ("ngày", "ngày văn bản")),
    Column("trich_yeu", "Trích yếu", True, ("trích yếu nội dung", "nội dung")),
    Column("chu_de", "Chủ đề", False, ()),
)


# --- values -----------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_PLAIN = re.compile(r"^\d+$")
_GROUPED = re.compile(r"^\d{1,3}(?:[.\s]\d{3})+$")
_WHOLE_DECIMAL = re.compile(r"^(\d+)[.,]0+$")


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def parse_date(cell: Cell) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _excel_serial(cell)
    text = str(cell).strip()
    if text.isascii() and text.isdigit():
        return _excel_serial(int(text))
    try:
        if match := _DMY.match(text):
            day, month, year = map(int, match.groups())
            return date(year, month, day)
        if match := _YMD.match(text):
            year, month, day = map(int, match.groups())
            return date(year, month, day)
        if re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$", text):
            return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    raise InvalidValue("cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd",
                       "expected a date as dd/mm/yyyy or yyyy-mm-dd")


def _excel_serial(serial: float) -> date:
    if float(serial).is_integer() and 1 <= serial <= 2958465:
        return _EXCEL_EPOCH + timedelta(days=int(serial))
    raise InvalidValue("cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd",
                       "expected a date as dd/mm/yyyy or yyyy-mm-dd")


def parse_whole_number(cell: Cell) -> int:
    """A whole number ≥ 0: `1.234` and `1 234` are 1234 (Vietnamese grouping); `3.0` is 3."""
    expected = InvalidValue("cần một số nguyên ≥ 0, ví dụ 12 hoặc 1.234",
                            "expected a whole number ≥ 0, e.g. 12 or 1.234")
    if isinstance(cell, bool):
        raise expected
    if isinstance(cell, int):
        value = cell
    elif isinstance(cell, float):
        if not cell.is_integer():
            raise expected
        value = int(cell)
    elif isinstance(cell, str):
        text = cell.strip().replace("\u00a0", " ")
        if _PLAIN.match(text):
            value = int(text)
        elif _GROUPED.match(text):
            value = int(re.sub(r"[.\s]", "", text))
        elif match := _WHOLE_DECIMAL.match(text):
            value = int(match[1])
        else:
            raise expected
    else:
        raise expected
    if value < 0:
        raise expected
    if value > MAX_WHOLE_NUMBER:
        raise InvalidValue(f"số quá lớn (tối đa {MAX_WHOLE_NUMBER:,}), hãy kiểm tra lại"
                           .replace(",", "."), f"a number too large (at most {MAX_WHOLE_NUMBER:,})")
    return value


def parse_text(cell: Cell) -> str:
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return nfc(str(cell)).strip()


def parse_url(cell: Cell) -> str:
    text = parse_text(cell)
    parsed = urlparse(text)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc or " " in text:
        raise InvalidValue("cần một đường dẫn bắt đầu bằng http:// hoặc https://",
                           "expected an http(s) URL")
    return text


# --- the table --------------------------------------------------------------------------------

@dataclass
class Validated:
    records: list[dict[str, Any]]
    problems: list[Problem]
    header_row: int | None

    @property
    def is_accepted(self) -> bool:
        return not any(problem.blocking for problem in self.problems)


def _find_header(rows: list[list[Cell]], columns: tuple[Column, ...]) -> int | None:
    required = [column for column in columns if column.required]
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = {fold(str(cell)) for cell in row if not is_blank(cell)}
        if sum(bool(column.keys & keys) for column in required) >= 2:
            return index
    return None


def _cell_name(row_index: int, column_index: int) -> str:
    letters, number = "", column_index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return f"{letters}{row_index + 1}"


def _map_header(header: list[Cell], header_index: int, columns: tuple[Column, ...],
                problems: list[Problem]) -> dict[str, int]:
    positions: dict[str, list[int]] = {}
    for position, cell in enumerate(header):
        if is_blank(cell):
            continue
        key = fold(str(cell))
        column = next((c for c in columns if key in c.keys), None)
        if column is None:
            problems.append(warning("unknown_column", header=parse_text(cell)))
            continue
        positions.setdefault(column.name, []).append(position)
    for column in columns:
        found = positions.get(column.name, [])
        if len(found) > 1:
            problems.append(error("duplicate_column", column=column.name, label=column.label,
                                  cells=", ".join(_cell_name(header_index, p) for p in found)))
        elif not found and column.required:
            problems.append(error("missing_column", column=column.name, label=column.label))
    return {name: found[0] for name, found in positions.items()}


class _RowChecker:
    """Parses the cells of one row, collecting one problem per bad cell."""

    def __init__(self, row: list[Cell], row_number: int, positions: dict[str, int],
                 columns: tuple[Column, ...], problems: list[Problem]) -> None:
        self.row, self.row_number, self.positions = row, row_number, positions
        self.labels = {column.name: column.label for column in columns}
        self.problems = problems
        self.ok = True

    def cell(self, name: str) -> Cell:
        position = self.positions.get(name)
        if position is None or position >= len(self.row):
            return None
        return self.row[position]

    def value(self, name: str, parse: Callable[[Cell], Any], *, required: bool,
              required_vi: str = "cột này bắt buộc", required_en: str = "this column is required"):
        cell = self.cell(name)
        if is_blank(cell):
            if required:
                self._fail("required_value", name, None, required_vi, required_en)
            return None
        try:
            return parse(cell)
        except InvalidValue as exc:
            self._fail("bad_value", name, cell, exc.expected_vi, exc.expected_en)
            return None

    def _fail(self, code: str, name: str, cell: Cell, expected_vi: str, expected_en: str) -> None:
        self.ok = False
        self.problems.append(error(
            code, row=self.row_number, column=name, label=self.labels[name],
            value="" if cell is None else parse_text(cell),
            expected_vi=expected_vi, expected_en=expected_en))


def _date_in_month(month: date) -> Callable[[Cell], date]:
    """A date within the days the file's month covers, by the reporting calendar."""
    return _date_in_window(month, settings().calendar)


@lru_cache(maxsize=256)  # one parser per month and calendar, not one per row
def _date_in_window(month: date, calendar: ReportingCalendar) -> Callable[[Cell], date]:
    first, last = calendar.window(month)
    if calendar.kind == CALENDAR_MONTH:
        expected_vi = f"cần một ngày trong tháng {month:%m/%Y} (tháng của tệp)"
        expected_en = f"expected a date in {month:%Y-%m}, the file's month"
    else:
        expected_vi = (f"cần một ngày từ {first:%d/%m/%Y} đến {last:%d/%m/%Y} (kỳ báo cáo tháng "
                       f"{month:%m/%Y} theo Nghị định 09/2019/NĐ-CP)")
        expected_en = (f"expected a date from {first:%Y-%m-%d} to {last:%Y-%m-%d}, the file's "
                       "reporting month (Nghị định 09/2019 cut-off dates)")

    def parse(cell: Cell) -> date:
        value = parse_date(cell)
        if not first <= value <= last:
            raise InvalidValue(expected_vi, expected_en)
        return value
    return parse


def _code_in(code_list, what_vi: str, what_en: str) -> Callable[[Cell], str]:
    def parse(cell: Cell) -> str:
        code = code_list.match(parse_text(cell))
        if code is None:
            codes = ", ".join(code_list.codes)
            raise InvalidValue(f"cần một {what_vi}: {codes} hoặc tên tương ứng",
                               f"expected a {what_en}: {codes} or its label")
        return code
    return parse


def _commune_of(reference: Reference, source: Source) -> Callable[[Cell], str]:
    area_vi = "của huyện/thành phố báo cáo" if source.district_code else "trong tỉnh"
    area_en = "in the source's district" if source.district_code else "in the province"

    def parse(cell: Cell) -> str:
        found = reference.find_communes(parse_text(cell), source)
        if len(found) == 1:
            return found[0].code
        if not found:
            raise InvalidValue(f"cần mã xã hoặc tên xã {area_vi}",
                               f"expected a commune code or name {area_en}")
        codes = ", ".join(f"{c.code} ({c.name})" for c in found)
        raise InvalidValue(f"tên xã trùng với nhiều xã: {codes}; hãy ghi mã xã",
                           f"the name matches several communes: {codes}; write the commune code")
    return parse


def _monthly_record(check: _RowChecker, name: SubmissionName, source: Source,
                    reference: Reference) -> dict[str, Any]:
    output_type = check.value("hinh_thuc", _code_in(reference.output_types, "hình thức",
                                                    "output type"), required=True)
    needs_commune = output_type in reference.output_types_requiring_commune
    needs_people = output_type in reference.output_types_requiring_people
    return {
        "activity_date": check.value("ngay", _date_in_month(name.month), required=True),
        "topic_code": check.value("chu_de", _code_in(reference.topics, "chủ đề", "topic"),
                                  required=True),
        "output_type_code": output_type,
        "quantity": check.value("so_luong", parse_whole_number, required=True),
        "commune_code": check.value(
            "ma_xa", _commune_of(reference, source), required=needs_commune,
            required_vi=f"hình thức '{output_type}' cần mã xã",
            required_en=f"output type '{output_type}' needs a commune"),
        "people_reached": check.value(
            "so_nguoi", parse_whole_number, required=needs_people,
            required_vi=f"hình thức '{output_type}' cần số người",
            required_en=f"output type '{output_type}' needs the number of people"),
        "title": check.value("tieu_de", parse_text, required=False),
        "url": check.value("duong_dan", parse_url, required=False),
        "note": check.value("ghi_chu", parse_text, required=False),
    }


def _directive_record(check: _RowChecker, name: SubmissionName, source: Source,
                      reference: Reference) -> dict[str, Any]:
    return {
        "document_number": check.value("so_ky_hieu", parse_text, required=True),
        "issued_date": check.value("ngay_ban_hanh", _date_in_month(name.month), required=True),
        "summary": check.value("trich_yeu", parse_text, required=True),
        "topic_code": check.value("chu_de", _code_in(reference.topics, "chủ đề", "topic"),
                                  required=False),
    }


def validate_table(table: Table, name: SubmissionName, source: Source,
                   reference: Reference) -> Validated:
    """Every problem of the table (header and rows) and, where there are none, its records."""
    columns = DIRECTIVE_COLUMNS if name.kind == DIRECTIVES else MONTHLY_COLUMNS
    build = _directive_record if name.kind == DIRECTIVES else _monthly_record
    problems: list[Problem] = []
    header_index = _find_header(table.rows, columns)
    if header_index is None:
        required = ", ".join(column.name for column in columns if column.required)
        return Validated([], [error("no_header", required=required)], None)
    positions = _map_header(table.rows[header_index], header_index, columns, problems)
    if any(problem.blocking for problem in problems):
        return Validated([], problems, header_index + 1)
    records = []
    for index in range(header_index + 1, len(table.rows)):
        row = table.rows[index]
        if all(is_blank(row[p]) for p in positions.values() if p < len(row)):
            continue
        check = _RowChecker(row, index + 1, positions, columns, problems)
        record = build(check, name, source, reference)
        if check.ok:
            records.append({"row_number": index + 1, **record})
    if any(problem.blocking for problem in problems):
        records = []
    return Validated(records, problems, header_index + 1)
