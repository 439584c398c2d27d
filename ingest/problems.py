"""Problems found in a submission, each with a message for the sender (Vietnamese) and the engineer.

Every message says what was wrong, where, and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

# code -> (Vietnamese template, English template); fields are filled with str.format.
MESSAGES: dict[str, tuple[str, str]] = {
    "bad_name": (
        "Tên tệp '{name}' không đúng mẫu <MÃ ĐƠN VỊ>_<NĂM-THÁNG>[_r<N>].csv|xlsx, "
        "ví dụ BAO-LS_2022-03.xlsx. Hãy đổi tên tệp và gửi lại.",
        "File name '{name}' does not match <SOURCE>_<YYYY-MM>[_r<N>].csv|xlsx, "
        "e.g. BAO-LS_2022-03.xlsx. Rename the file and send it again.",
    ),
    "unknown_source": (
        "Mã đơn vị '{source}' không có trong danh sách đơn vị báo cáo. "
        "Hãy kiểm tra lại mã đơn vị trong tên tệp.",
        "Source code '{source}' is not in the source registry. Check the code in the file name.",
    ),
    "source_inactive": (
        "Đơn vị '{source}' không thuộc diện báo cáo tháng {month}. "
        "Hãy liên hệ Sở nếu đơn vị phải báo cáo tháng này.",
        "Source '{source}' is not registered to report for {month}. "
        "Contact the department if it should be.",
    ),
    "future_month": (
        "Tháng báo cáo {month} chưa bắt đầu vào ngày nhận tệp ({received}). "
        "Hãy kiểm tra năm và tháng trong tên tệp.",
        "Month {month} had not started when the file arrived ({received}). "
        "Check the year and month in the file name.",
    ),
    "name_reused": (
        "Đã nhận một tệp khác cùng tên '{name}'. Muốn sửa số liệu, hãy gửi bản sửa "
        "với hậu tố _r<N>, ví dụ {suggestion}.",
        "A different file named '{name}' was already received. To correct it, send a revision "
        "with the _r<N> suffix, e.g. {suggestion}.",
    ),
    "legacy_xls": (
        "Tệp '{name}' là bảng tính Excel cũ (.xls). Hãy mở bằng Excel, chọn Lưu thành (Save As) "
        "dạng Excel Workbook (.xlsx) rồi gửi lại.",
        "File '{name}' is a legacy Excel workbook (.xls). Open it in Excel, save it as an Excel "
        "Workbook (.xlsx) and send it again.",
    ),
    "unsupported_format": (
        "Tệp '{name}' không phải định dạng được nhận (.csv hoặc .xlsx).",
        "File '{name}' is not in an accepted format (.csv or .xlsx).",
    ),
    "unreadable": (
        "Không đọc được tệp: {detail_vi}. Hãy mở tệp bằng Excel, lưu lại dạng .xlsx "
        "hoặc CSV UTF-8 rồi gửi lại.",
        "The file cannot be read: {detail_en}. Open it in Excel, save it as .xlsx or CSV UTF-8 and "
        "send it again.",
    ),
    "no_header": (
        "Không tìm thấy dòng tiêu đề cột (cần các cột {required}).",
        "No header row found (the columns {required} are needed).",
    ),
    "missing_column": (
        "Thiếu cột bắt buộc '{label}' ({column}).",
        "Required column '{label}' ({column}) is missing.",
    ),
    "duplicate_column": (
        "Cột '{label}' ({column}) xuất hiện nhiều lần (ô {cells}).",
        "Column '{label}' ({column}) appears more than once (cells {cells}).",
    ),
    "unknown_column": (
        "Cột '{header}' không có trong mẫu báo cáo và sẽ không được dùng.",
        "Column '{header}' is not part of the contract and is ignored.",
    ),
    "required_value": (
        "Dòng {row}, cột '{label}': thiếu giá trị; {expected_vi}.",
        "Row {row}, column '{column}': value missing; {expected_en}.",
    ),
    "bad_value": (
        "Dòng {row}, cột '{label}': giá trị '{value}' không hợp lệ; {expected_vi}.",
        "Row {row}, column '{column}': value '{value}' is invalid; {expected_en}.",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One problem in a submission; `blocking` problems reject the whole file."""

    code: str
    fields: dict[str, object]
    blocking: bool = True
    row: int | None = None
    column: str | None = None

    @property
    def message_vi(self) -> str:
        return MESSAGES[self.code][0].format(**self.fields)

    @property
    def message_en(self) -> str:
        return MESSAGES[self.code][1].format(**self.fields)


def warning(code: str, **fields: object) -> Problem:
    return Problem(code, fields, blocking=False)


def error(code: str, *, row: int | None = None, column: str | None = None,
          **fields: object) -> Problem:
    return Problem(code, {"row": row, "column": column, **fields}, row=row, column=column)


def render_report(file_name: str, problems: list[Problem]) -> str:
    """The bilingual error report kept beside a quarantined file."""
    errors = [p for p in problems if p.blocking]
    warnings = [p for p in problems if not p.blocking]
    lines = [
        f"Tệp / File: {file_name}",
        "",
        f"Tệp bị trả lại: {len(errors)} lỗi. Hãy sửa các lỗi dưới đây và gửi lại tệp "
        "(bản sửa đặt tên với hậu tố _r2, _r3 ...).",
        f"The file was rejected: {len(errors)} error(s). Fix the problems below and send the file "
        "again (a correction is named with the suffix _r2, _r3 ...).",
        "",
        "LỖI / ERRORS",
    ]
    for number, problem in enumerate(errors, start=1):
        lines += [f"{number}. {problem.message_vi}", f"   {problem.message_en}"]
    if warnings:
        lines += ["", "CẢNH BÁO / WARNINGS"]
        for problem in warnings:
            lines += [f"- {problem.message_vi}", f"  {problem.message_en}"]
    return "\n".join(lines) + "\n"
