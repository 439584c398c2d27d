"""Check a table of cells against the submission contract and turn it into typed records."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urlparse

from ingest.legacy import first_c1_control
from ingest.naming import DIRECTIVES, SubmissionName
from ingest.problems import Problem, error, warning
from ingest.reader import Cell, Table
from outreach.core.calendar import CALENDAR_MONTH, ReportingCalendar
from outreach.core.registry import CodeList, Reference, Source
from outreach.core.settings import settings
from outreach.core.text import fold, nfc

HEADER_SEARCH_ROWS = 30
# no count of one month of one source comes near this; beyond it a number is a typing error
# (and would not fit the warehouse's 64-bit integers)
MAX_WHOLE_NUMBER = 1_000_000_000


class InvalidValue(ValueError):
    def __init__(self, expected_vi: str, expected_en: str) -> None:
        super().__init__(expected_en)
        self.expected_vi = expected_vi
        self.expected_en = expected_en


class OutsideMonth(InvalidValue):
    """A real date, outside the days the file's month covers: the date is kept, so that a file
    whose dates all fall in another month can be told which month they say."""

    def __init__(self, day: date, expected_vi: str, expected_en: str) -> None:
        super().__init__(expected_vi, expected_en)
        self.day = day


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    required: bool
    aliases: tuple[str, ...] = ()

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(
            {fold(self.name), fold(self.label), *(fold(alias) for alias in self.aliases)}
        )


MONTHLY_COLUMNS = (
    Column("ngay", "Ngày", True, ("ngày tháng", "thời gian", "ngày thực hiện", "ngày đăng")),
    Column("chu_de", "Chủ đề", True, ("nội dung", "lĩnh vực")),
    Column("hinh_thuc", "Hình thức", True, ("loại hình", "hình thức tuyên truyền")),
    Column("so_luong", "Số lượng", True, ("số lượng tin bài", "sl")),
    Column("ma_xa", "Mã xã", False, ("xã", "tên xã", "xã, phường, thị trấn", "địa bàn")),
    Column(
        "so_nguoi",
        "Số người tiếp cận",
        False,
        ("số người", "số người được tiếp cận", "số lượt người"),
    ),
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
_WHOLE_DECIMAL = re.compile(r"^(\d+|\d{1,3}(?:[.\s]\d{3})+)[.,]0{1,2}$")
_COMMA_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")
# the longest count anyone writes; beyond it a number is a typing error, refused before any
# conversion (and never near Python's 4,300-digit limit for int())
MAX_DIGITS = 15
MAX_SERIAL_DIGITS = 7  # Excel's last day, 31/12/9999, is serial 2958465
MAX_SHOWN_CHARS = 60  # a value quoted in a message is cut there


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
        if len(text) > MAX_SERIAL_DIGITS:  # refused before int(), which stops at 4,300 digits
            raise InvalidValue(
                f"ô có một số dài {len(text):,} chữ số".replace(",", ".")
                + ", không phải một ngày; cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd",
                f"a number of {len(text):,} digits is not a date; expected a date as dd/mm/yyyy "
                "or yyyy-mm-dd",
            )
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
    raise InvalidValue(
        "cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd",
        "expected a date as dd/mm/yyyy or yyyy-mm-dd",
    )


def _excel_serial(serial: float) -> date:
    if float(serial).is_integer() and 1 <= serial <= 2958465:
        return _EXCEL_EPOCH + timedelta(days=int(serial))
    raise InvalidValue(
        "cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd",
        "expected a date as dd/mm/yyyy or yyyy-mm-dd",
    )


def _ambiguous_comma(text: str) -> InvalidValue:
    """`1,000`: one thousand with English separators, or one with a Vietnamese decimal comma."""
    thousands = int(text.replace(",", ""))
    grouped = f"{thousands:,}".replace(",", ".")
    whole, _, decimals = text.partition(",")
    if set(decimals) == {"0"}:
        return InvalidValue(
            f"dấu phẩy không rõ nghĩa: có thể là {grouped} (dấu phẩy ngăn cách hàng nghìn, kiểu "
            f"Anh) hoặc {whole} (dấu phẩy thập phân, kiểu Việt); nếu là số thứ nhất hãy viết "
            f"{thousands} hoặc {grouped}, nếu là số thứ hai hãy viết {whole}",
            f"an ambiguous comma: {thousands} with an English thousands separator, or {whole} "
            f"with a Vietnamese decimal comma; write {thousands} or {grouped} for the first, "
            f"{whole} for the second",
        )
    return InvalidValue(
        f"dấu phẩy không dùng để ngăn cách hàng nghìn (theo cách viết tiếng Việt, {text} là số "
        f"thập phân); nếu là {grouped}, hãy viết {thousands} hoặc {grouped}",
        f"a comma is not a thousands separator (in Vietnamese, {text} has decimals); for "
        f"{thousands}, write {thousands} or {grouped}",
    )


def parse_whole_number(cell: Cell) -> int:
    """A whole number ≥ 0: `1.234` and `1 234` are 1234 (Vietnamese grouping); `3.0` and `2,0`
    are 3 and 2; `1,000` is refused (English thousands or a Vietnamese decimal comma?)."""
    expected = InvalidValue(
        "cần một số nguyên ≥ 0, ví dụ 12 hoặc 1.234",
        "expected a whole number ≥ 0, e.g. 12 or 1.234",
    )
    too_long = InvalidValue(
        f"số có hơn {MAX_DIGITS} chữ số, không thể là số lượng; hãy kiểm tra lại",
        f"a number of more than {MAX_DIGITS} digits cannot be a count",
    )
    if isinstance(cell, bool):
        raise expected
    if isinstance(cell, int):
        value = cell
    elif isinstance(cell, float):
        if not cell.is_integer():
            raise expected
        value = int(cell)
    elif isinstance(cell, str):
        text = cell.strip().replace("\u00a0", " ").replace("\u202f", " ")
        if sum(ch.isdigit() for ch in text) > MAX_DIGITS or len(text) > 4 * MAX_DIGITS:
            raise too_long
        if _PLAIN.match(text):
            value = int(text)
        elif _GROUPED.match(text):
            value = int(re.sub(r"[.\s]", "", text))
        elif _COMMA_THOUSANDS.match(text):
            raise _ambiguous_comma(text)
        elif match := _WHOLE_DECIMAL.match(text):
            value = int(re.sub(r"[.\s]", "", match[1]))
        else:
            raise expected
    else:
        raise expected
    if value < 0:
        raise expected
    if value > MAX_WHOLE_NUMBER:
        raise InvalidValue(
            f"số quá lớn (tối đa {MAX_WHOLE_NUMBER:,}".replace(",", ".") + "), hãy kiểm tra lại",
            f"a number too large (at most {MAX_WHOLE_NUMBER:,})",
        )
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
        raise InvalidValue(
            "cần một đường dẫn bắt đầu bằng http:// hoặc https://", "expected an http(s) URL"
        )
    return text


# --- the table --------------------------------------------------------------------------------


@dataclass
class Validated:
    records: list[dict[str, Any]]
    problems: list[Problem]
    header_row: int | None
    sheet: str | None = None
    # every date of the file's date column, inside its month or not (a wrong month is told)
    dates: list[date] = field(default_factory=list)

    @property
    def is_accepted(self) -> bool:
        return not any(problem.blocking for problem in self.problems)


def _column_of(cell: Cell, columns: tuple[Column, ...]) -> Column | None:
    if is_blank(cell):
        return None
    key = fold(str(cell))
    return next((column for column in columns if key in column.keys), None)


def _find_header(rows: list[list[Cell]], columns: tuple[Column, ...]) -> int | None:
    required = [column for column in columns if column.required]
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = {fold(str(cell)) for cell in row if not is_blank(cell)}
        if sum(bool(column.keys & keys) for column in required) >= 2:
            return index
    return None


def has_header_for(kind: str) -> Callable[[list[list[Cell]]], bool]:
    """Whether rows hold the header of a file of this kind: how a workbook's sheet is chosen."""
    columns = DIRECTIVE_COLUMNS if kind == DIRECTIVES else MONTHLY_COLUMNS
    return lambda rows: _find_header(rows, columns) is not None


@dataclass
class _Header:
    """The header: the labels of each position, the rows it spans (0-based), where data starts."""

    labels: list[Cell]
    first: int
    last: int

    @property
    def rows_label(self) -> str:
        if self.first == self.last:
            return str(self.first + 1)
        return f"{self.first + 1}–{self.last + 1}"


def _header_over_rows(rows: list[list[Cell]], index: int, columns: tuple[Column, ...]) -> _Header:
    """The header found at `index`, with the labels of the row below (or above) it where a header
    spans two rows: merged cells keep the label in one row, and a group label ("Kết quả thực
    hiện") sits above the columns it groups."""
    labels = list(rows[index])
    mapped = {column.name for cell in labels if (column := _column_of(cell, columns))}
    first = last = index
    for neighbour in (index + 1, index - 1):
        if not 0 <= neighbour < len(rows):
            continue
        took = False
        for position, cell in enumerate(rows[neighbour]):
            column = _column_of(cell, columns)
            if column is None or column.name in mapped:
                continue
            if position < len(labels) and _column_of(labels[position], columns) is not None:
                continue
            while position >= len(labels):
                labels.append(None)
            labels[position] = cell
            mapped.add(column.name)
            took = True
        if took:
            first, last = min(first, neighbour), max(last, neighbour)
    return _Header(labels, first, last)


def _cell_name(row_index: int, column_index: int) -> str:
    letters, number = "", column_index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return f"{letters}{row_index + 1}"


def _map_header(
    header: _Header,
    columns: tuple[Column, ...],
    problems: list[Problem],
    where_vi: str,
    where_en: str,
) -> dict[str, int]:
    positions: dict[str, list[int]] = {}
    for position, cell in enumerate(header.labels):
        if is_blank(cell):
            continue
        column = _column_of(cell, columns)
        if column is None:
            problems.append(warning("unknown_column", header=parse_text(cell)))
            continue
        positions.setdefault(column.name, []).append(position)
    for column in columns:
        found = positions.get(column.name, [])
        if len(found) > 1:
            problems.append(
                error(
                    "duplicate_column",
                    column=column.name,
                    label=column.label,
                    cells=", ".join(_cell_name(header.last, p) for p in found),
                )
            )
        elif not found and column.required:
            problems.append(
                error(
                    "missing_column",
                    column=column.name,
                    label=column.label,
                    where_vi=where_vi,
                    where_en=where_en,
                )
            )
    return {name: found[0] for name, found in positions.items()}


_SUBTOTAL = re.compile(
    r"^(cong|tong|tong_cong|tong_so|cong_tong|tong_cong_so|total|subtotal|"
    r"grand_total|sum)(_(thang|quy|nam|ky|so|cong))*(_[ivx\d]+)?$"
)
_EXAMPLE = frozenset({"vi_du", "vd", "mau", "vi_du_mau", "dong_mau", "example"})


def _subtotal_label(row: list[Cell]) -> str | None:
    """A "Cộng", "Tổng cộng", "Tổng số" row: a sum of the rows above, never a row of its own."""
    for cell in row:
        if isinstance(cell, str) and not is_blank(cell) and _SUBTOTAL.match(fold(cell)):
            return cell.strip()
    return None


def _example_label(row: list[Cell]) -> str | None:
    """A template's worked example ("Ví dụ", "VD", "Mẫu") left among the data."""
    texts = [cell for cell in row if isinstance(cell, str) and not is_blank(cell)]
    for cell in texts:
        if fold(cell) in _EXAMPLE:
            return cell.strip()
    if texts and fold(texts[0]).startswith("vi_du_") and not isinstance(row[0], date):
        return texts[0].strip()
    return None


def _is_column_numbering(row: list[Cell]) -> bool:
    """The row under a header that numbers its columns: (1) (2) (3) … or 1 2 3 …"""
    numbers = []
    for cell in row:
        if is_blank(cell):
            continue
        text = parse_text(cell).strip("() ")
        if not (text.isascii() and text.isdigit() and len(text) <= 3):
            return False
        numbers.append(int(text))
    return len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _is_blank_row(row: list[Cell], positions: dict[str, int]) -> bool:
    return all(is_blank(row[p]) for p in positions.values() if p < len(row))


def _row_list(numbers: list[int], limit: int = 15) -> str:
    shown = ", ".join(str(number) for number in numbers[:limit])
    return shown + (f" … ({len(numbers)})" if len(numbers) > limit else "")


def _structure_problems(
    table: Table, header: _Header, positions: dict[str, int], data_rows: list[int]
) -> list[Problem]:
    """Rows the sender cannot see (hidden, filtered out) and CSV lines whose fields do not line
    up with the header: refused, because either way a figure would not be what was meant."""
    problems: list[Problem] = []
    hidden = [index + 1 for index in data_rows if index + 1 in table.hidden_rows]
    if hidden:
        problems.append(
            error("filtered_rows" if table.filtered else "hidden_rows", rows=_row_list(hidden))
        )
    if table.widths is not None:
        # a spreadsheet writes every line of a CSV with as many fields as its header
        width = table.widths[header.last]
        for index in data_rows:
            written = table.widths[index]
            if written < width:
                problems.append(
                    error(
                        "short_row",
                        row=index + 1,
                        fields=written,
                        width=width,
                        delimiter=_delimiter_name(table.delimiter),
                    )
                )
            elif written > width:
                problems.append(
                    error(
                        "long_row",
                        row=index + 1,
                        fields=written,
                        width=width,
                        delimiter=_delimiter_name(table.delimiter),
                    )
                )
    return problems


def _delimiter_name(delimiter: str | None) -> str:
    return {",": "dấu phẩy (,)", ";": "dấu chấm phẩy (;)", "\t": "tab"}.get(delimiter or ",", "")


class _RowChecker:
    """Parses the cells of one row, collecting one problem per bad cell."""

    def __init__(
        self,
        row: list[Cell],
        row_number: int,
        positions: dict[str, int],
        columns: tuple[Column, ...],
        problems: list[Problem],
        dates: list[date],
    ) -> None:
        self.row, self.row_number, self.positions = row, row_number, positions
        self.labels = {column.name: column.label for column in columns}
        self.problems = problems
        self.dates = dates
        self.ok = True

    def cell(self, name: str) -> Cell:
        position = self.positions.get(name)
        if position is None or position >= len(self.row):
            return None
        return self.row[position]

    def value(
        self,
        name: str,
        parse: Callable[[Cell], Any],
        *,
        required: bool,
        required_vi: str = "cột này bắt buộc",
        required_en: str = "this column is required",
    ):
        cell = self.cell(name)
        if is_blank(cell):
            if required:
                self._fail("required_value", name, None, required_vi, required_en)
            return None
        try:
            value = parse(cell)
        except InvalidValue as exc:
            if isinstance(exc, OutsideMonth):
                self.dates.append(exc.day)
            self._fail("bad_value", name, cell, exc.expected_vi, exc.expected_en)
            return None
        if isinstance(value, date):
            self.dates.append(value)
        return value

    def _fail(self, code: str, name: str, cell: Cell, expected_vi: str, expected_en: str) -> None:
        self.ok = False
        self.problems.append(
            error(
                code,
                row=self.row_number,
                column=name,
                label=self.labels[name],
                value="" if cell is None else _shown(parse_text(cell)),
                expected_vi=expected_vi,
                expected_en=expected_en,
            )
        )


def _shown(text: str) -> str:
    """A value as a message quotes it: a long one cut, so that the message stays readable."""
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 10] + "…"


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
        expected_vi = (
            f"cần một ngày từ {first:%d/%m/%Y} đến {last:%d/%m/%Y} (kỳ báo cáo tháng "
            f"{month:%m/%Y} theo Nghị định 09/2019/NĐ-CP)"
        )
        expected_en = (
            f"expected a date from {first:%Y-%m-%d} to {last:%Y-%m-%d}, the file's "
            "reporting month (Nghị định 09/2019 cut-off dates)"
        )

    def parse(cell: Cell) -> date:
        value = parse_date(cell)
        if not first <= value <= last:
            raise OutsideMonth(value, expected_vi, expected_en)
        return value

    return parse


def _code_in(code_list: CodeList, what_vi: str, what_en: str) -> Callable[[Cell], str]:
    """A code of the list, or its label or an alias; a sender is told the labels (the template's
    drop-down list), an engineer the codes."""

    def parse(cell: Cell) -> str:
        code = code_list.match(parse_text(cell))
        if code is None:
            labels = ", ".join(f"'{code_list.label(code)}'" for code in code_list.codes)
            codes = ", ".join(code_list.codes)
            raise InvalidValue(
                f"cần một {what_vi} trong danh sách của mẫu báo cáo: {labels}",
                f"expected a {what_en}: {codes} or its label",
            )
        return code

    return parse


def _commune_of(reference: Reference, source: Source, month: date) -> Callable[[Cell], str]:
    """A commune code or name, among the units valid in the file's month: within the source's
    district before the 2025 reform, its own commune for a commune office, else the province."""
    area_vi = "của huyện/thành phố báo cáo" if source.district_code else "trong tỉnh"
    area_en = "in the source's district" if source.district_code else "in the province"
    earlier: dict[str, date | None] = {}

    def parse(cell: Cell) -> str:
        found = reference.find_communes(parse_text(cell), source, month)
        if len(found) == 1:
            own = source.commune_code
            if own is not None and found[0].code != own:
                name = reference.communes_on(month).get(own)
                raise InvalidValue(
                    f"{found[0].code} ({found[0].name}) là xã khác; đơn vị chỉ báo cáo hoạt động "
                    f"tại xã của mình ({own} {name.name if name else ''}), hãy để trống cột này",
                    f"{found[0].code} ({found[0].name}) is another commune; a commune office "
                    f"reports its own commune's activities ({own}): leave the column empty",
                )
            return found[0].code
        if not found:
            if "last_change" not in earlier:  # looked up once per file, when first needed
                earlier["last_change"] = _last_change_before(reference, month)
            reform = _before_reform(
                reference, source, month, parse_text(cell), earlier["last_change"]
            )
            if reform is not None:
                raise reform
            raise InvalidValue(
                f"cần mã xã hoặc tên xã {area_vi}", f"expected a commune code or name {area_en}"
            )
        codes = ", ".join(f"{c.code} ({c.name})" for c in found)
        raise InvalidValue(
            f"tên xã trùng với nhiều xã: {codes}; hãy ghi mã xã",
            f"the name matches several communes: {codes}; write the commune code",
        )

    return parse


# the reform of administrative units: districts abolished, communes merged, from 1 July 2025
REFORM_2025 = date(2025, 7, 1)


def _last_change_before(reference: Reference, month: date) -> date | None:
    """The last day of the units before the latest change of them before `month`, if any."""
    ends = [unit.valid_to for unit in reference.units if unit.valid_to and unit.valid_to < month]
    return max(ends) if ends else None


def _before_reform(
    reference: Reference, source: Source, month: date, value: str, last_day: date | None
) -> InvalidValue | None:
    """A commune code or name that is not valid in the file's month but was before the last
    change of the units (the 2025 reform): why it is refused, and the new commune (or communes,
    where it was split) it went to."""
    if last_day is None:
        return None
    old = reference.find_communes(value, source, last_day)
    if not old:
        return None
    changed = last_day + timedelta(days=1)
    if changed == REFORM_2025:
        when_vi = (
            "trước đợt sắp xếp đơn vị hành chính năm 2025 (bỏ cấp huyện, sáp nhập xã, từ ngày "
            "01/07/2025)"
        )
        when_en = (
            "from before the 2025 reform of administrative units (districts abolished, communes "
            "merged, from 2025-07-01)"
        )
    else:
        when_vi = f"trước lần thay đổi đơn vị hành chính ngày {changed:%d/%m/%Y}"
        when_en = f"from before the change of administrative units of {changed:%Y-%m-%d}"
    named = ", ".join(f"{commune.code} ({commune.name})" for commune in old)
    successors = list(
        dict.fromkeys(
            new for commune in old for new in reference.commune_successors.get(commune.code, ())
        )
    )
    new = ", ".join(f"{code} ({name})" for code, name in successors)
    if len(successors) == 1:
        code, name = successors[0]
        then_vi = f"từ ngày đó thuộc {new}: hãy ghi mã xã mới {code} hoặc tên '{name}'"
        then_en = f"since then it is part of {new}: write the new code {code} or its name"
    elif successors:
        then_vi = f"đã được chia cho các xã mới {new}: hãy ghi mã xã mới nơi diễn ra hoạt động"
        then_en = f"it was split between {new}: write the new commune where the activity was"
    else:
        then_vi = "hãy ghi mã hoặc tên xã mới nơi diễn ra hoạt động"
        then_en = "write the code or name of the new commune where the activity was"
    return InvalidValue(
        f"{named} là đơn vị cấp xã {when_vi}, không còn trong tháng {month:%m/%Y}; {then_vi}",
        f"{named} is a commune {when_en}, gone in {month:%Y-%m}; {then_en}",
    )


def _garbled(table: Table) -> Problem | None:
    """The first cell still holding a C1 control character once legacy text was repaired: UTF-8
    read as Latin-1 that does not read back as Vietnamese. No Vietnamese text holds one."""
    cells = [
        (row_index, column_index, cell)
        for row_index, row in enumerate(table.rows)
        for column_index, cell in enumerate(row)
        if isinstance(cell, str) and first_c1_control(cell) is not None
    ]
    if not cells:
        return None
    row_index, column_index, text = cells[0]
    control = first_c1_control(text) or ""
    where = _cell_name(row_index, column_index)
    if len(cells) > 1:
        where += f" (+{len(cells) - 1})"
    shown = "".join("\ufffd" if first_c1_control(char) else char for char in _shown(text))
    return error(
        "garbled_text",
        row=row_index + 1,
        cell=where,
        character=f"U+{ord(control):04X}",
        text=shown,
    )


MAX_MERGE_CHECKS = 2_000_000  # cells of merged ranges looked at in one file
_RANGE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?")


def _column_index(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def _merged_problems(
    table: Table, positions: dict[str, int], data_rows: list[int], problems: list[Problem]
) -> list[Problem]:
    """Merged ranges in the data area, as errors of their own: a merge keeps its value in its
    first cell only, so a row under it reads as empty where the sender sees a value. A merge is
    reported when it covers a column of the contract on a row below its first, or a cell whose
    missing value was reported (that report is then replaced by the merge's)."""
    columns = sorted(set(positions.values()))
    missing: dict[tuple[int, int], Problem] = {}
    for problem in problems:
        column = problem.column
        if problem.code == "required_value" and problem.row and column and column in positions:
            missing[(problem.row - 1, positions[column])] = problem
    found: list[Problem] = []
    budget = MAX_MERGE_CHECKS  # overlapping merges are not Excel's, but a file may have them
    for reference in table.merged:
        match = _RANGE.fullmatch(reference.upper().replace("$", ""))
        if match is None:
            continue
        first_col, first_row = _column_index(match[1]), int(match[2]) - 1
        last_col = _column_index(match[3]) if match[3] else first_col
        last_row = int(match[4]) - 1 if match[4] else first_row
        rows = data_rows[bisect_left(data_rows, first_row) : bisect_right(data_rows, last_row)]
        within = [column for column in columns if first_col <= column <= last_col]
        budget -= len(rows) * len(within)
        if budget < 0:
            break
        hidden = [
            (row, column)
            for row in rows
            for column in within
            if (row, column) != (first_row, first_col)
            and (row != first_row or (row, column) in missing)
        ]
        if not hidden:
            continue
        for cell in hidden:
            if cell in missing:
                problems.remove(missing.pop(cell))
        found.append(
            error(
                "merged_cells",
                row=first_row + 1,
                cells=reference,
                anchor=_cell_name(first_row, first_col),
                rows=f"{first_row + 1}–{last_row + 1}" if last_row > first_row else first_row + 1,
            )
        )
    return found


def _monthly_record(
    check: _RowChecker, name: SubmissionName, source: Source, reference: Reference
) -> dict[str, Any]:
    output_type = check.value(
        "hinh_thuc", _code_in(reference.output_types, "hình thức", "output type"), required=True
    )
    # a commune office's rows are in its own commune unless they say otherwise
    needs_commune = (
        output_type in reference.output_types_requiring_commune and source.commune_code is None
    )
    needs_people = output_type in reference.output_types_requiring_people
    output_label = reference.output_types.label(output_type) if output_type else ""
    return {
        "activity_date": check.value("ngay", _date_in_month(name.month), required=True),
        "topic_code": check.value(
            "chu_de", _code_in(reference.topics, "chủ đề", "topic"), required=True
        ),
        "output_type_code": output_type,
        "quantity": check.value("so_luong", parse_whole_number, required=True),
        "commune_code": check.value(
            "ma_xa",
            _commune_of(reference, source, name.month),
            required=needs_commune,
            required_vi=f"hình thức '{output_label}' cần mã xã hoặc tên xã nơi diễn ra hoạt động",
            required_en=f"output type '{output_type}' needs a commune",
        )
        or source.commune_code,
        "people_reached": check.value(
            "so_nguoi",
            parse_whole_number,
            required=needs_people,
            required_vi=f"hình thức '{output_label}' cần số người tiếp cận",
            required_en=f"output type '{output_type}' needs the number of people",
        ),
        "title": check.value("tieu_de", parse_text, required=False),
        "url": check.value("duong_dan", parse_url, required=False),
        "note": check.value("ghi_chu", parse_text, required=False),
    }


def _directive_record(
    check: _RowChecker, name: SubmissionName, source: Source, reference: Reference
) -> dict[str, Any]:
    return {
        "document_number": check.value("so_ky_hieu", parse_text, required=True),
        "issued_date": check.value("ngay_ban_hanh", _date_in_month(name.month), required=True),
        "summary": check.value("trich_yeu", parse_text, required=True),
        "topic_code": check.value(
            "chu_de", _code_in(reference.topics, "chủ đề", "topic"), required=False
        ),
    }


def validate_table(
    table: Table, name: SubmissionName, source: Source, reference: Reference
) -> Validated:
    """Every problem of the table (header and rows) and, where there are none, its records."""
    columns = DIRECTIVE_COLUMNS if name.kind == DIRECTIVES else MONTHLY_COLUMNS
    build = _directive_record if name.kind == DIRECTIVES else _monthly_record
    problems: list[Problem] = []
    if table.repair is not None:
        problems.append(
            warning(
                "text_converted",
                font_vi=table.repair.font_vi,
                font_en=table.repair.font_en,
                cells=table.repair.cells,
            )
        )
    where_vi = f" (trang '{table.sheet}')" if table.sheet else ""
    where_en = f" (sheet '{table.sheet}')" if table.sheet else ""
    if (garbled := _garbled(table)) is not None:
        return Validated([], [*problems, garbled], None, table.sheet)
    header_index = _find_header(table.rows, columns)
    if header_index is None:
        required = [column for column in columns if column.required]
        problems.append(
            error(
                "no_header",
                required_vi=", ".join(f"'{column.label}'" for column in required),
                required_en=", ".join(column.name for column in required),
                where_vi=where_vi,
                where_en=where_en,
                rows=HEADER_SEARCH_ROWS,
            )
        )
        return Validated([], problems, None, table.sheet)
    header = _header_over_rows(table.rows, header_index, columns)
    positions = _map_header(
        header,
        columns,
        problems,
        f"dòng tiêu đề {header.rows_label}{where_vi}",
        f"header row {header.rows_label}{where_en}",
    )
    if any(problem.blocking for problem in problems):
        return Validated([], problems, header.first + 1, table.sheet)
    data_rows = [
        index
        for index in range(header.last + 1, len(table.rows))
        if not _is_blank_row(table.rows[index], positions)
    ]
    if data_rows and _is_column_numbering(table.rows[data_rows[0]]):
        data_rows = data_rows[1:]
    problems.extend(_structure_problems(table, header, positions, data_rows))
    records: list[dict[str, Any]] = []
    dates: list[date] = []
    for index in data_rows:
        row = table.rows[index]
        if label := _example_label(row):
            problems.append(warning("example_row", row=index + 1, label=label))
            continue
        if label := _subtotal_label(row):
            problems.append(warning("subtotal_row", row=index + 1, label=label))
            continue
        check = _RowChecker(row, index + 1, positions, columns, problems, dates)
        record = build(check, name, source, reference)
        if check.ok:
            records.append({"row_number": index + 1, **record})
    problems.extend(_merged_problems(table, positions, data_rows, problems))
    if any(problem.blocking for problem in problems):
        return Validated([], problems, header.first + 1, table.sheet, dates)
    if name.kind != DIRECTIVES:
        problems.extend(_sum_row_warnings(records))
    return Validated(records, problems, header.first + 1, table.sheet, dates)


def _sum_row_warnings(records: list[dict[str, Any]]) -> list[Problem]:
    """The last row equal to the sum of all the rows above it looks like a total typed as data."""
    if len(records) < 3:
        return []
    last, above = records[-1], records[:-1]
    for column, label in (("quantity", "Số lượng"), ("people_reached", "Số người tiếp cận")):
        values = [record[column] for record in above if record[column] is not None]
        total = sum(values)
        if (
            last[column] is not None
            and len(values) >= 2
            and last[column] == total
            and total > max(values)
        ):
            return [warning("sum_row", row=last["row_number"], label=label, total=total)]
    return []
