"""The Excel template of a source's month: the contract's columns, drop-down lists and
validation, and an instructions sheet; ingest accepts it as it is filled in.

Sheets: `BaoCao` (the table ingest reads: the contract's header, one row per activity), `HuongDan`
(how to fill it in), `DanhMuc` (the lists the drop-downs read: topics, output types, the
communes of the source in that month; hidden).
"""

from __future__ import annotations

import calendar
import io
from datetime import date
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ingest.validate import MONTHLY_COLUMNS
from outreach.core.home import Home
from outreach.core.registry import Reference, read_seed

HEADER = [column.label for column in MONTHLY_COLUMNS]  # the contract's, as ingest reads them
ROWS = 500  # rows prepared with validation


def _communes(reference: Reference, source_code: str, month: date) -> list[tuple[str, str]]:
    """The communes a row of the source may name in the month: a district office's district,
    a commune office's own commune, else every commune of its province."""
    source = reference.sources[source_code]
    units = reference.communes_on(month).values()
    if source.commune_code:
        chosen = [unit for unit in units if unit.code == source.commune_code]
    elif source.district_code:
        chosen = [unit for unit in units if unit.district_code == source.district_code]
    else:
        chosen = [unit for unit in units if unit.province_code == source.province_code]
    return sorted((unit.code, unit.name) for unit in chosen)


def monthly_template(home: Home, source_code: str, month: date) -> bytes:
    """The .xlsx a source fills in for one month."""
    seeds = home.seeds_dir()
    reference = Reference.load(seeds)
    source = reference.sources[source_code]
    topics = [row["topic_label_vi"] for row in read_seed(seeds, "ref_topics")]
    output_types = [row["output_type_label_vi"] for row in read_seed(seeds, "ref_output_types")]
    communes = _communes(reference, source_code, month)
    last_day = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "BaoCao"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for letter, width in zip("ABCDEFGHI", (12, 30, 24, 10, 12, 14, 40, 30, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    for row in range(2, ROWS + 2):
        sheet.cell(row, 1).number_format = "DD/MM/YYYY"

    lists = workbook.create_sheet("DanhMuc")
    lists.append(["Chủ đề", "Hình thức", "Mã xã", "Tên xã"])
    for index in range(max(len(topics), len(output_types), len(communes))):
        lists.append(
            [
                topics[index] if index < len(topics) else None,
                output_types[index] if index < len(output_types) else None,
                communes[index][0] if index < len(communes) else None,
                communes[index][1] if index < len(communes) else None,
            ]
        )
    lists.sheet_state = "hidden"

    def validation(
        kind: Literal["whole", "list", "date"], formula: str, column: str, message: str, **extra
    ) -> None:
        rule = DataValidation(type=kind, formula1=formula, allow_blank=True, **extra)
        rule.error = message
        rule.errorTitle = "Giá trị không hợp lệ"
        rule.showErrorMessage = True
        sheet.add_data_validation(rule)
        rule.add(f"{column}2:{column}{ROWS + 1}")

    validation(
        "date",
        f"DATE({month.year},{month.month},1)",
        "A",
        f"Ngày phải trong tháng {month:%m/%Y}.",
        operator="between",
        formula2=f"DATE({last_day.year},{last_day.month},{last_day.day})",
    )
    validation(
        "list", f"DanhMuc!$A$2:$A${len(topics) + 1}", "B", "Hãy chọn chủ đề trong danh sách."
    )
    validation(
        "list",
        f"DanhMuc!$B$2:$B${len(output_types) + 1}",
        "C",
        "Hãy chọn hình thức trong danh sách.",
    )
    validation("whole", "0", "D", "Số lượng là số nguyên, không âm.", operator="greaterThanOrEqual")
    if communes:
        validation(
            "list",
            f"DanhMuc!$C$2:$C${len(communes) + 1}",
            "E",
            "Hãy chọn mã xã trong danh sách (xem tên xã ở trang hướng dẫn).",
        )
    validation("whole", "0", "F", "Số người là số nguyên, không âm.", operator="greaterThanOrEqual")

    guide = workbook.create_sheet("HuongDan")
    lines = [
        f"Báo cáo tháng {month:%m/%Y} của {source.name} ({source_code})",
        "",
        "Cách điền:",
        "- Mỗi dòng của trang BaoCao là một hoạt động hoặc một nhóm tin, bài cùng ngày, cùng "
        "chủ đề và hình thức.",
        f"- Ngày: trong tháng {month:%m/%Y}, dạng ngày/tháng/năm.",
        "- Chủ đề và Hình thức: chọn trong danh sách thả xuống.",
        "- Số lượng và Số người tiếp cận: số nguyên, không dùng dấu phân cách hàng nghìn.",
        "- Mã xã: với hoạt động tại xã (tư vấn, tuyên truyền cơ sở), chọn mã xã trong danh sách.",
        "- Không thêm dòng cộng, dòng tổng hay dòng ví dụ; không ẩn dòng.",
        "- Tháng không có hoạt động nào: để trống bảng (chỉ giữ dòng tiêu đề) và gửi như "
        "thường lệ.",
        "- Gửi tệp qua cổng báo cáo; hệ thống tự đặt tên tệp và kiểm tra ngay.",
        "",
        "Các xã:",
        *[f"{code}  {name}" for code, name in communes],
    ]
    for line in lines:
        guide.append([line])
    guide.column_dimensions["A"].width = 100
    guide["A1"].font = Font(bold=True, size=13)
    # the instructions come first; the workbook opens on BaoCao, which ingest reads by its name
    workbook.move_sheet("HuongDan", offset=-2)
    workbook.active = workbook.sheetnames.index("BaoCao")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
