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
    "name_spaces": (
        "Tên tệp '{name}' có dấu cách thừa ở đầu, ở cuối hoặc trước đuôi tệp. Hãy đổi tên thành "
        "'{suggestion}' rồi gửi lại.",
        "File name '{name}' has a space at its start, its end or before the extension. Rename it "
        "'{suggestion}' and send it again.",
    ),
    "name_inner_spaces": (
        "Tên tệp '{name}' có dấu cách; tên tệp viết liền, không dấu cách. Hãy đổi tên thành "
        "'{suggestion}' rồi gửi lại.",
        "File name '{name}' has spaces; rename it '{suggestion}' and send it again.",
    ),
    "name_not_latin": (
        "Tên tệp '{name}' có chữ không phải chữ Latinh dù trông giống: {letters}. Hãy gõ lại tên "
        "tệp bằng bàn phím tiếng Anh (tắt bộ gõ tiếng Nga, Hy Lạp ...): '{suggestion}'.",
        "File name '{name}' has letters of another script that look Latin: {letters_en}. Type the "
        "name again on a Latin keyboard: '{suggestion}'.",
    ),
    "name_diacritics": (
        "Mã đơn vị trong tên tệp '{name}' viết không dấu. Hãy đổi tên thành '{suggestion}' rồi "
        "gửi lại.",
        "The source code in file name '{name}' has no diacritics. Rename it '{suggestion}' and "
        "send it again.",
    ),
    "name_lowercase": (
        "Mã đơn vị trong tên tệp '{name}' phải viết hoa. Hãy đổi tên thành '{suggestion}' rồi "
        "gửi lại.",
        "The source code in file name '{name}' must be in capitals. Rename it '{suggestion}' and "
        "send it again.",
    ),
    "name_bad_month": (
        "Tháng '{month}' trong tên tệp '{name}' không có thật: cần năm từ 2000 đến 2100 và tháng "
        "01 đến 12, ví dụ BAO-LS_2022-03.xlsx.",
        "Month '{month}' in file name '{name}' does not exist: the year must be 2000-2100 and "
        "the month 01-12, e.g. BAO-LS_2022-03.xlsx.",
    ),
    "name_bad_revision": (
        "Số bản sửa '_r{revision}' trong tên tệp '{name}' không hợp lệ: bản sửa đánh số _r2, _r3 "
        "… (tối đa _r999).",
        "Revision '_r{revision}' in file name '{name}' is invalid: corrections are numbered _r2, "
        "_r3 … (at most _r999).",
    ),
    "name_characters": (
        "Tên tệp '{name}' không đúng mẫu: có ký tự không được dùng trong tên tệp: "
        "{characters_vi}. Tên tệp chỉ gồm chữ cái không dấu, chữ số, dấu '-' và '_', ví dụ "
        "BAO-LS_2022-03.xlsx.{suggestion_vi}",
        "File name '{name}' does not match the pattern: it holds characters a name cannot: "
        "{characters_en}. A name has only unaccented letters, digits, '-' and '_', e.g. "
        "BAO-LS_2022-03.xlsx.{suggestion_en}",
    ),
    "name_dots": (
        "Tên tệp '{name}' không đúng mẫu: bắt đầu bằng dấu chấm ('.' hoặc '..'), là tên của tệp "
        "ẩn hoặc của thư mục cha. Tên tệp bắt đầu bằng mã đơn vị, ví dụ BAO-LS_2022-03.xlsx."
        "{suggestion_vi}",
        "File name '{name}' does not match the pattern: it starts with a dot ('.' or '..'), as "
        "hidden files and parent folders do. A name starts with the source code, e.g. "
        "BAO-LS_2022-03.xlsx.{suggestion_en}",
    ),
    "name_reserved": (
        "Tên tệp '{name}' không đúng mẫu: đuôi '{suffix}' là của {what_vi}, không phải một báo "
        "cáo. Đừng gửi lại tệp báo cáo lỗi: hãy sửa tệp số liệu gốc và gửi tệp đó, đặt tên theo "
        "mẫu <MÃ ĐƠN VỊ>_<NĂM-THÁNG>[_r<N>].xlsx, ví dụ BAO-LS_2022-03_r2.xlsx.",
        "File name '{name}' does not match the pattern: the suffix '{suffix}' is that of "
        "{what_en}, not a report. Do not send an error report back: correct the original file "
        "and send it, named <SOURCE>_<YYYY-MM>[_r<N>].xlsx, e.g. BAO-LS_2022-03_r2.xlsx.",
    ),
    "name_encoding": (
        "Tên tệp '{name}' không phải chữ Unicode (có lẽ được đặt trên máy dùng bảng mã cũ). "
        "Hãy đổi tên tệp theo mẫu <MÃ ĐƠN VỊ>_<NĂM-THÁNG>.xlsx, ví dụ BAO-LS_2022-03.xlsx.",
        "File name '{name}' is not Unicode (probably named on a machine with a legacy code "
        "page). Rename it as <SOURCE>_<YYYY-MM>.xlsx, e.g. BAO-LS_2022-03.xlsx.",
    ),
    "same_revision": (
        "Đã nhận tệp '{previous}' cho đơn vị {source} tháng {month_vi} (bản {revision}). Tệp này "
        "khác tệp đã nhận nên không thay cho tệp đó. Nếu là bản sửa, hãy đặt tên {suggestion}.",
        "File '{previous}' was already received for {source}, {month} (revision {revision}). "
        "This different file does not replace it; a correction is named {suggestion}.",
    ),
    "wrong_delivery": (
        "Tệp của đơn vị {source} được lấy từ nơi gửi của {owners} ({location}); mỗi nơi gửi chỉ "
        "nhận tệp của đơn vị mình. Tệp không được nhận; Sở sẽ kiểm tra.",
        "A file of source {source} was pulled from the delivery location of {owners} "
        "({location}); a location delivers its own sources' files only. Not accepted; the "
        "department is told.",
    ),
    "not_readable": (
        "Không đọc được tệp trên máy chủ (mã tra cứu {reference}). Sở sẽ kiểm tra; đơn vị không "
        "cần gửi lại.",
        "The file cannot be read on the server (reference {reference}, in the ingest log). The "
        "department will check it.",
    ),
    "internal_error": (
        "Hệ thống gặp lỗi khi xử lý tệp này (mã tra cứu {reference}). Tệp được giữ nguyên; Sở "
        "sẽ kiểm tra, đơn vị không cần gửi lại.",
        "The system failed while processing this file (reference {reference}, in the ingest "
        "log). It is kept untouched; the department will check it.",
    ),
    "unknown_source": (
        "Mã đơn vị '{source}' không có trong danh sách đơn vị báo cáo. "
        "Hãy kiểm tra lại mã đơn vị trong tên tệp.",
        "Source code '{source}' is not in the source registry. Check the code in the file name.",
    ),
    "source_inactive": (
        "Đơn vị '{source}' không thuộc diện báo cáo tháng {month_vi}: đơn vị báo cáo {span_vi}."
        "{successor_vi} Hãy liên hệ Sở nếu đơn vị phải báo cáo tháng này.",
        "Source '{source}' is not registered to report for {month}: it reports {span_en}."
        "{successor_en} Contact the department if it should be.",
    ),
    "future_month": (
        "Tháng báo cáo {month_vi} chưa bắt đầu vào ngày nhận tệp ({received}). "
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
    "ods_workbook": (
        "Tệp '{name}' là bảng tính OpenDocument (.ods, của LibreOffice hoặc OpenOffice), không "
        "phải .xlsx. Hãy mở tệp, chọn Lưu thành (Save As) dạng Excel 2007-365 (.xlsx) rồi gửi lại.",
        "File '{name}' is an OpenDocument spreadsheet (.ods, LibreOffice or OpenOffice), not "
        ".xlsx. Open it, save it as Excel 2007-365 (.xlsx) and send it again.",
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
        "Không tìm thấy dòng tiêu đề cột trong {rows} dòng đầu{where_vi}: cần một dòng ghi tên "
        "các cột {required_vi} như trong mẫu báo cáo.",
        "No header row found in the first {rows} rows{where_en} (the columns {required_en} are "
        "needed).",
    ),
    "garbled_text": (
        "Ô {cell} có ký tự điều khiển {character}, không có trong văn bản tiếng Việt: tệp UTF-8 "
        "đã bị mở như bảng mã Latin-1 (ISO-8859-1) rồi lưu lại, nên chữ có dấu bị hỏng ('{text}'). "
        "Hãy lấy tệp gốc, hoặc mở tệp hỏng bằng bảng mã UTF-8 (Excel: Data > From Text/CSV, "
        "File Origin 65001: Unicode (UTF-8)), kiểm tra chữ có dấu rồi lưu dạng .xlsx hoặc "
        "CSV UTF-8 và gửi lại.",
        "Cell {cell} holds the control character {character}, which no Vietnamese text has: a "
        "UTF-8 file was opened as Latin-1 (ISO-8859-1) and saved again, which garbles accented "
        "letters ('{text}'). Take the original file, or open it as UTF-8, check the accented "
        "letters, save it as .xlsx or CSV UTF-8 and send it again.",
    ),
    "merged_cells": (
        "Các ô {cells} được gộp (Merge Cells) trong vùng số liệu, dòng {rows}: ô gộp chỉ giữ "
        "giá trị ở ô đầu ({anchor}), các ô còn lại đọc là trống. Hãy bỏ gộp ô (chọn vùng, "
        "Unmerge Cells), điền giá trị vào từng ô rồi gửi lại.",
        "Cells {cells} are merged in the data area (rows {rows}): a merged cell keeps its value "
        "in its first cell ({anchor}) only, the others read as empty. Unmerge them, fill every "
        "cell and send the file again.",
    ),
    "missing_column": (
        "Thiếu cột bắt buộc '{label}' ở {where_vi}.",
        "Required column '{label}' ({column}) is missing from the {where_en}.",
    ),
    "hidden_rows": (
        "Các dòng {rows} đang bị ẩn (Hide) nhưng có số liệu. Số liệu bị ẩn không được tính "
        "thay người gửi: hãy hiện tất cả các dòng (chọn cả trang, Unhide), xoá những dòng không "
        "báo cáo rồi gửi lại.",
        "Rows {rows} are hidden but hold data. Hidden data is not counted on the sender's behalf: "
        "unhide every row, delete the rows that are not part of the report, and send it again.",
    ),
    "filtered_rows": (
        "Các dòng {rows} bị bộ lọc (AutoFilter) ẩn đi nhưng có số liệu. Hãy bỏ lọc (Clear "
        "Filter), xoá những dòng không báo cáo rồi gửi lại.",
        "Rows {rows} are hidden by an AutoFilter but hold data. Clear the filter, delete the rows "
        "that are not part of the report, and send it again.",
    ),
    "short_row": (
        "Dòng {row} có {fields} ô, ít hơn {width} cột của dòng tiêu đề: các giá trị có thể đã "
        "lệch cột. Hãy kiểm tra dòng này (phân cách bằng {delimiter}) hoặc lưu lại tệp bằng Excel.",
        "Row {row} has {fields} fields, fewer than the header's {width}: its values may have "
        "shifted columns. Check the row or save the file again from Excel.",
    ),
    "long_row": (
        "Dòng {row} có {fields} ô, nhiều hơn {width} cột của dòng tiêu đề: thường do một giá trị "
        'chứa {delimiter} mà không đặt trong ngoặc kép (ví dụ "Tin, bài"), nên các giá trị sau '
        "đó bị lệch cột. Hãy sửa dòng này hoặc lưu lại tệp bằng Excel.",
        "Row {row} has {fields} fields, more than the header's {width}: usually a value holding "
        "the delimiter without quotation marks, so the values after it shifted columns. Fix the "
        "row or save the file again from Excel.",
    ),
    "text_converted": (
        "Văn bản trong tệp được gõ bằng bảng mã {font_vi} ({cells} ô) và đã được chuyển sang "
        "Unicode. Lần sau hãy gõ bằng phông Unicode (Times New Roman, Arial) với bảng mã Unicode "
        "trong UniKey, hoặc chuyển mã tệp bằng công cụ chuyển mã của UniKey (Ctrl+Shift+F6).",
        "Text in the file was typed in the {font_en} encoding ({cells} cells) and was converted "
        "to Unicode. Next time type in a Unicode font, or convert the file with UniKey's "
        "converter.",
    ),
    "example_row": (
        "Dòng {row} là dòng ví dụ của biểu mẫu ('{label}') nên không được tính.",
        "Row {row} is the template's worked example ('{label}') and is not counted.",
    ),
    "subtotal_row": (
        "Dòng {row} là dòng cộng ('{label}') nên không được tính; số liệu chỉ lấy từ các dòng "
        "chi tiết.",
        "Row {row} is a total ('{label}') and is not counted; only detail rows are.",
    ),
    "sum_row": (
        "Dòng {row}: '{label}' bằng {total}, đúng tổng các dòng phía trên. Nếu đây là dòng "
        "tổng, hãy xoá dòng đó và gửi bản sửa, vì nó đang được tính như một dòng số liệu.",
        "Row {row}: '{label}' is {total}, the sum of the rows above it. If it is a total, delete "
        "it and send a correction: it is counted as a row of data.",
    ),
    "duplicate_column": (
        "Cột '{label}' xuất hiện nhiều lần (ô {cells}).",
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


def warning(code: str, *, row: int | None = None, **fields: object) -> Problem:
    return Problem(code, {"row": row, **fields}, blocking=False, row=row)


def error(
    code: str, *, row: int | None = None, column: str | None = None, **fields: object
) -> Problem:
    return Problem(code, {"row": row, "column": column, **fields}, row=row, column=column)


def render_report(
    file_name: str,
    problems: list[Problem],
    *,
    sheet: str | None = None,
    header_row: int | None = None,
) -> str:
    """The bilingual error report kept beside a quarantined file."""
    errors = [p for p in problems if p.blocking]
    warnings = [p for p in problems if not p.blocking]
    lines = [f"Tệp / File: {file_name}"]
    if sheet is not None:
        lines.append(f"Trang đã đọc / Sheet read: {sheet}")
    if header_row is not None:
        lines.append(f"Dòng tiêu đề cột / Header row: {header_row}")
    lines += [
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
