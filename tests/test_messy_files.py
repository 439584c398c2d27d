"""Files as offices really send them: English thousands, legacy fonts, broken quotes, subtotal,
hidden and example rows, two-row headers, template sheets, second files at the same revision.
Each is a real file written by the test; what matters is what ends up in the warehouse."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import duckdb
import pytest
from helpers import (
    LABELS,
    new_home,
    ods_bytes,
    strict_xlsx_bytes,
    write_bytes,
    write_csv,
    write_xlsx,
)

from ingest.legacy import encode_tcvn3, encode_vni
from ingest.load import ingest_inbox, inspect_file
from ingest.problems import render_report

ROW = ["05/03/2022", "Khác", "Tin, bài", "2", "", "", "", "", ""]
SENT = datetime(2022, 4, 2, 8, 0, tzinfo=UTC)


def inspect(path, reference):
    return inspect_file(path, reference)


def codes(inspection, *, blocking=True) -> list[str]:
    return [p.code for p in inspection.validated.problems if p.blocking is blocking]


def messages(inspection) -> str:
    return "\n".join(p.message_vi for p in inspection.validated.problems)


def quantities(inspection) -> list[int]:
    return [record["quantity"] for record in inspection.validated.records]


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, thousands, decimal",
    [("1,000", "1.000", "1"), ("12,000", "12.000", "12"), ("2,000", "2.000", "2")],
)
def test_a_comma_before_three_digits_is_refused_with_both_readings(
    tmp_path, reference, written, thousands, decimal
):
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [[*ROW[:3], written, *ROW[4:]]])
    inspection = inspect(path, reference)
    assert codes(inspection) == ["bad_value"]
    text = messages(inspection)
    assert f"có thể là {thousands}" in text and f"hoặc {decimal} (dấu phẩy thập phân" in text


def test_people_reached_with_an_english_comma_is_refused_too(tmp_path, reference):
    row = ["05/03/2022", "Khác", "Tập huấn", "1", "", "2,000", "", "", ""]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row]), reference)
    assert [(p.code, p.column) for p in inspection.validated.problems] == [
        ("bad_value", "so_nguoi")
    ]


@pytest.mark.parametrize(
    "written, value",
    [
        ("2,0", 2),
        ("3.0", 3),
        ("1.000", 1000),
        ("1 234", 1234),
        ("1.234.567", 1234567),
        ("1.234,0", 1234),
        ("0", 0),
    ],
)
def test_whole_numbers_as_people_write_them(tmp_path, reference, written, value):
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [[*ROW[:3], written, *ROW[4:]]])
    assert quantities(inspect(path, reference)) == [value]


@pytest.mark.parametrize("written", ["9" * 16, "9" * 5000, "1" + ".000" * 6])
def test_an_overlong_number_is_a_row_error(tmp_path, reference, written):
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [[*ROW[:3], written, *ROW[4:]]])
    inspection = inspect(path, reference)
    assert codes(inspection) == ["bad_value"] and "hơn 15 chữ số" in messages(inspection)


# --- text in legacy fonts -----------------------------------------------------------------------

TCVN3_ROW = [
    "05/03/2022",
    "Phòng, chống ma túy",
    "Tin, bài",
    "3",
    "",
    "",
    "Tuyên truyền phòng chống ma túy ở huyện Tràng Định",
    "",
    "Đài Phát thanh",
]


def _legacy_csv(tmp_path, name: str, encode) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(LABELS)
    writer.writerow(TCVN3_ROW)
    return write_bytes(tmp_path, name, encode(buffer.getvalue())).read_bytes()


@pytest.mark.parametrize(
    "font, encode, label",
    [
        ("tcvn3", encode_tcvn3, "TCVN3"),
        ("vni-windows", lambda text: encode_vni(text).encode("cp1252"), "VNI-Windows"),
    ],
)
def test_a_csv_typed_in_a_legacy_font_is_converted_exactly(
    tmp_path, reference, font, encode, label
):
    _legacy_csv(tmp_path, "BAO-LS_2022-03.csv", encode)
    inspection = inspect(tmp_path / "BAO-LS_2022-03.csv", reference)
    assert inspection.validated.is_accepted
    record = inspection.validated.records[0]
    assert (record["topic_code"], record["title"], record["note"]) == (
        "ma_tuy",
        TCVN3_ROW[6],
        TCVN3_ROW[8],
    )
    assert inspection.details["text_encoding"] == font
    assert codes(inspection, blocking=False) == ["text_converted"]
    assert label in messages(inspection) and "UniKey" in messages(inspection)


def as_windows_reads(data: bytes) -> str:
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


@pytest.mark.parametrize(
    "typed",
    [
        lambda text: as_windows_reads(encode_tcvn3(text)),  # .VnTime in Excel
        encode_vni,  # VNI-Times in Excel
        lambda text: as_windows_reads(text.encode("utf-8")),  # UTF-8 saved twice
    ],
)
def test_a_workbook_typed_in_a_legacy_font_under_a_unicode_template(tmp_path, reference, typed):
    """The template's header is Unicode; what the clerk typed is not."""
    rows = [[typed(cell) if not cell.isascii() else cell for cell in TCVN3_ROW]]
    path = write_xlsx(tmp_path, "BAO-LS_2022-03.xlsx", rows)
    inspection = inspect(path, reference)
    assert inspection.validated.is_accepted, messages(inspection)
    record = inspection.validated.records[0]
    assert (record["topic_code"], record["output_type_code"], record["title"]) == (
        "ma_tuy",
        "tin_bai",
        TCVN3_ROW[6],
    )
    assert "text_converted" in codes(inspection, blocking=False)


def test_a_double_utf8_csv_is_repaired(tmp_path, reference):
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows([LABELS, TCVN3_ROW])
    twice = as_windows_reads(buffer.getvalue().encode("utf-8")).encode("utf-8")
    inspection = inspect(write_bytes(tmp_path, "BAO-LS_2022-03.csv", twice), reference)
    assert inspection.validated.records[0]["title"] == TCVN3_ROW[6]
    assert inspection.details["text_encoding"] == "utf-8+double-utf8"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark(tmp_path, reference, encoding):
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [TCVN3_ROW], encoding=encoding)
    inspection = inspect(path, reference)
    assert inspection.validated.is_accepted and inspection.details["text_encoding"] == encoding
    assert inspection.validated.records[0]["title"] == TCVN3_ROW[6]


# --- CSV structure ------------------------------------------------------------------------------


def test_a_quotation_mark_never_closed_is_refused_with_its_row(tmp_path, reference):
    lines = [",".join(LABELS)] + [
        f'0{n}/03/2022,Khác,Truyền hình,{n},,,"Tin {n},,'
        if n == 2
        else f"0{n}/03/2022,Khác,Truyền hình,{n},,,,,"
        for n in range(1, 9)
    ]
    path = write_bytes(tmp_path, "BAO-LS_2022-03.csv", "\r\n".join(lines).encode())
    inspection = inspect(path, reference)
    assert inspection.validated.records == []
    assert "dòng 3" in messages(inspection) and "ngoặc kép" in messages(inspection)


def test_a_quote_closed_rows_later_is_refused(tmp_path, reference):
    lines = [
        ",".join(LABELS),
        '05/03/2022,Khác,Truyền hình,1,,,"Tin một,,',
        "06/03/2022,Khác,Truyền hình,2,,,,,",
        '07/03/2022,Khác,Truyền hình,3,,,,,"',
    ]
    path = write_bytes(tmp_path, "BAO-LS_2022-03.csv", "\n".join(lines).encode())
    inspection = inspect(path, reference)
    assert not inspection.validated.is_accepted and "ngoặc kép" in messages(inspection)


def test_an_unquoted_comma_that_shifts_columns_is_refused(tmp_path, reference):
    lines = [",".join(LABELS), "05/03/2022,Khác,Tin, bài,2,,,,,"]
    inspection = inspect(
        write_bytes(tmp_path, "BAO-LS_2022-03.csv", "\n".join(lines).encode()), reference
    )
    assert "long_row" in codes(inspection)
    assert "ngoặc kép" in messages(inspection)


def test_a_line_with_fewer_fields_is_refused(tmp_path, reference):
    lines = [",".join(LABELS), "05/03/2022,Khác,Tin bài,2,,,,,", "06/03/2022,Khác,Ảnh"]
    inspection = inspect(
        write_bytes(tmp_path, "BAO-LS_2022-03.csv", "\n".join(lines).encode()), reference
    )
    assert [(p.code, p.row) for p in inspection.validated.problems if p.blocking][0] == (
        "short_row",
        3,
    )


@pytest.mark.parametrize("length", [40_000, 200_000])
def test_a_cell_longer_than_excel_allows_is_refused(tmp_path, reference, length):
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [[*ROW[:6], "x" * length, "", ""]])
    inspection = inspect(path, reference)
    assert not inspection.validated.is_accepted
    assert "dòng 2 có một ô dài hơn 32.767 ký tự" in messages(inspection)


# --- workbooks as offices make them -------------------------------------------------------------


def _workbook(sheets: dict[str, list[list[object]]]):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    return workbook


def _save(workbook, folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    workbook.save(folder / name)
    return folder / name


def test_the_sheet_named_bao_cao_with_diacritics_is_read_and_named(tmp_path, reference):
    workbook = _workbook({"Tổng hợp": [LABELS, [*ROW[:3], 99, *ROW[4:]]], "Báo cáo": [LABELS, ROW]})
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert quantities(inspection) == [2] and inspection.details["sheet_name"] == "Báo cáo"


def test_a_templates_example_sheet_is_never_loaded(tmp_path, reference):
    example = ["01/03/2022", "Khác", "Phóng sự", 7, "", "", "Ví dụ: tên tin bài", "", ""]
    workbook = _workbook({"Mẫu": [LABELS, example], "Tháng 3": [["BÁO CÁO THÁNG 3"], LABELS, ROW]})
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert quantities(inspection) == [2] and inspection.details["sheet_name"] == "Tháng 3"


def test_only_an_instructions_sheet_with_a_table_is_refused_by_name(tmp_path, reference):
    workbook = _workbook({"Hướng dẫn": [LABELS, ROW], "Sheet2": [["ghi chú"]]})
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert codes(inspection) == ["unreadable"] and "'Hướng dẫn'" in messages(inspection)


def test_a_hidden_sheet_holding_the_table_is_named(tmp_path, reference):
    workbook = _workbook({"Sheet1": [["trống"]], "BaoCao": [LABELS, ROW]})
    workbook["BaoCao"].sheet_state = "hidden"
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert "trang 'BaoCao' đang bị ẩn" in messages(inspection)


def test_the_header_row_and_sheet_are_named_when_a_column_is_missing(tmp_path, reference):
    workbook = _workbook({"BaoCao": [["BÁO CÁO"], ["Ngày", "Chủ đề", "Hình thức"], ROW[:3]]})
    path = _save(workbook, tmp_path, "BAO-LS_2022-03.xlsx")
    inspection = inspect(path, reference)
    assert "Thiếu cột bắt buộc 'Số lượng' ở dòng tiêu đề 2 (trang 'BaoCao')" in messages(inspection)
    report = render_report(
        path.name,
        inspection.validated.problems,
        sheet=inspection.validated.sheet,
        header_row=inspection.validated.header_row,
    )
    assert "Trang đã đọc / Sheet read: BaoCao" in report
    assert "Dòng tiêu đề cột / Header row: 2" in report


def test_a_header_over_two_rows_with_merged_cells(tmp_path, reference):
    upper = ["Ngày", "Chủ đề", "Hình thức", "Kết quả thực hiện", None, "Ghi chú"]
    lower = [None, None, None, "Số lượng", "Số người tiếp cận", None]
    numbering = ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]
    data = ["05/03/2022", "Khác", "Tập huấn", 3, 120, ""]
    workbook = _workbook({"BaoCao": [["BÁO CÁO KẾT QUẢ"], upper, lower, numbering, data]})
    sheet = workbook["BaoCao"]
    for column in "ABCF":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("D2:E2")
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert inspection.validated.is_accepted, messages(inspection)
    record = inspection.validated.records[0]
    assert (record["quantity"], record["people_reached"], record["row_number"]) == (3, 120, 5)


def test_hidden_rows_holding_data_are_refused(tmp_path, reference):
    workbook = _workbook({"BaoCao": [LABELS, ROW, [*ROW[:3], 50, *ROW[4:]], ROW]})
    workbook["BaoCao"].row_dimensions[3].hidden = True
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert codes(inspection) == ["hidden_rows"] and "Các dòng 3 đang bị ẩn" in messages(inspection)


def test_rows_an_autofilter_hides_are_refused(tmp_path, reference):
    rows = [LABELS, ROW, ["06/03/2022", "Phòng, chống ma túy", "Ảnh", 4, "", "", "", "", ""], ROW]
    workbook = _workbook({"BaoCao": rows})
    sheet = workbook["BaoCao"]
    sheet.auto_filter.ref = "A1:I4"
    sheet.auto_filter.add_filter_column(1, ["Khác"])
    sheet.row_dimensions[3].hidden = True
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert codes(inspection) == ["filtered_rows"] and "AutoFilter" in messages(inspection)


@pytest.mark.parametrize("label, position", [("Cộng", 0), ("Tổng cộng:", 1), ("TỔNG SỐ", 6)])
def test_a_subtotal_row_is_never_counted(tmp_path, reference, label, position):
    total = ["", "", "", 4, "", "", "", "", ""]
    total[position] = label
    path = write_xlsx(tmp_path, "BAO-LS_2022-03.xlsx", [ROW, ROW, total])
    inspection = inspect(path, reference)
    assert inspection.validated.is_accepted and quantities(inspection) == [2, 2]
    assert codes(inspection, blocking=False) == ["subtotal_row"]
    assert f"Dòng 4 là dòng cộng ('{label}')" in messages(inspection)


def test_a_last_row_equal_to_the_sum_above_is_warned_about(tmp_path, reference):
    rows = [[*ROW[:3], n, *ROW[4:]] for n in (2, 3, 4, 9)]
    inspection = inspect(write_xlsx(tmp_path, "BAO-LS_2022-03.xlsx", rows), reference)
    assert inspection.validated.is_accepted
    assert codes(inspection, blocking=False) == ["sum_row"]
    assert "Dòng 5: 'Số lượng' bằng 9" in messages(inspection)


@pytest.mark.parametrize("marker", ["Ví dụ", "VD", "Mẫu"])
def test_a_templates_example_row_is_never_counted(tmp_path, reference, marker):
    example = [marker, "Khác", "Phóng sự", 5, "", "", "", "", ""]
    path = write_xlsx(tmp_path, "BAO-LS_2022-03.xlsx", [example, ROW])
    inspection = inspect(path, reference)
    assert quantities(inspection) == [2] and codes(inspection, blocking=False) == ["example_row"]


def _raw_workbook(sheet_xml: bytes) -> bytes:
    """A minimal workbook around one sheet's XML, as a hostile tool could write it."""
    parts = {
        "[Content_Types].xml": (
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            b'-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
            b'.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package'
            b'/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org'
            b'/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            b"</Relationships>"
        ),
        "xl/workbook.xml": (
            b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml'
            b'/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships"><sheets><sheet name="BaoCao" sheetId="1" r:id="rId1"/></sheets>'
            b"</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package'
            b'/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org'
            b'/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            b"</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _sheet(rows_xml: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>' + rows_xml + b"</sheetData></worksheet>"
    )


def test_a_workbook_of_one_very_wide_row_is_refused_in_bounded_memory(tmp_path):
    """300,000 cells in one row: under the zip-bomb guards, it once took 2 GB to refuse."""
    import random
    import subprocess
    import sys

    generator = random.Random(1)  # values that do not compress: under the zip-bomb ratio
    cells = b"".join(b"<c><v>%d</v></c>" % generator.randrange(10**9) for _ in range(300_000))
    data = _raw_workbook(_sheet(b'<row r="1">' + cells + b"</row>"))
    path = write_bytes(tmp_path, "BAO-LS_2022-03.xlsx", data)
    assert path.stat().st_size < 4 * 1024 * 1024
    # the peak of this process since its exec (VmHWM; ru_maxrss would count the parent's)
    probe = (
        "from pathlib import Path\n"
        "from ingest.load import inspect_file\nfrom outreach.core.registry import Reference\n"
        f"inspection = inspect_file(Path({str(path)!r}), Reference.load())\n"
        "print(inspection.validated.problems[0].message_vi)\n"
        "status = Path('/proc/self/status').read_text().split('VmHWM:')[1]\n"
        "print(int(status.split()[0]) // 1024)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    message, peak_mb = result.stdout.strip().splitlines()
    assert "dòng 1 của trang 'BaoCao' có hơn 16.384 ô" in message
    assert int(peak_mb) < 200  # about 105 MB here, most of it the imports; once 2 GB


def test_a_workbook_of_too_many_cells_is_refused(tmp_path, reference):
    rows = b"".join(b'<row r="%d">' % r + b'<c s="1"/>' * 60 + b"</row>" for r in range(1, 17_000))
    path = write_bytes(tmp_path, "BAO-LS_2022-03.xlsx", _raw_workbook(_sheet(rows)))
    inspection = inspect(path, reference)
    assert "hơn 1.000.000 ô" in messages(inspection)


def test_a_workbook_declaring_entities_is_refused(tmp_path, reference):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c t="inlineStr"><is><t>&a;</t></is></c></row></sheetData>'
        b"</worksheet>"
    )
    inspection = inspect(
        write_bytes(tmp_path, "BAO-LS_2022-03.xlsx", _raw_workbook(bomb)), reference
    )
    assert codes(inspection) == ["unreadable"] and "bị hỏng" in messages(inspection)


# --- one file per source-month and revision -----------------------------------------------------


@pytest.mark.parametrize(
    "first, second, suggestion",
    [
        ("BAO-LS_2022-03.csv", "BAO-LS_2022-03_r1.csv", "BAO-LS_2022-03_r2.csv"),
        ("BAO-LS_2022-03_r2.csv", "BAO-LS_2022-03_r02.csv", "BAO-LS_2022-03_r03.csv"),
        ("BAO-LS_2022-03.xlsx", "BAO-LS_2022-03.csv", "BAO-LS_2022-03_r2.csv"),
    ],
)
def test_a_second_file_at_the_same_revision_is_refused_and_the_first_stays(
    tmp_path, reference, first, second, suggestion
):
    home = new_home(tmp_path / "home")
    if first.endswith(".xlsx"):
        write_xlsx(home.inbox, first, [ROW])
    else:
        write_csv(home.inbox, first, [ROW], sent_at=SENT)
    ingest_inbox(home, reference=reference)
    write_csv(home.inbox, second, [ROW, ROW])
    summary = ingest_inbox(home, reference=reference)
    assert summary.rejected == [second]
    report = (home.quarantine / f"{second}.errors.txt").read_text(encoding="utf-8")
    expected = suggestion.replace("_r03", "_r3")
    assert f"Đã nhận tệp '{first}'" in report and expected in report
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute(
            "select file_name from raw.submission_manifest where status = 'accepted'"
        ).fetchall() == [(first,)]


def test_the_same_bytes_under_a_revision_1_name_are_a_duplicate(tmp_path, reference):
    home = new_home(tmp_path / "home")
    original = write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    data = original.read_bytes()
    ingest_inbox(home, reference=reference)
    write_bytes(home.inbox, "BAO-LS_2022-03_r1.csv", data)
    summary = ingest_inbox(home, reference=reference)
    assert summary.duplicates == ["BAO-LS_2022-03_r1.csv"] and summary.rejected == []


@pytest.mark.warehouse
def test_a_file_from_another_sources_delivery_location_is_refused(tmp_path, reference):
    from ingest.pull import Delivery, pull_all
    from outreach.core.periods import parse_period
    from report.status import needs_attention

    home = new_home(tmp_path / "home")
    folder = tmp_path / "bao-ls-outbox"
    write_csv(folder, "BAO-LS_2022-03.csv", [ROW], sent_at=SENT)
    write_csv(folder, "PTTH-LS_2022-03.csv", [ROW], sent_at=SENT)
    pull_all(home, [Delivery("BAO-LS", "folder", str(folder))])
    summary = ingest_inbox(home, reference=reference)
    assert summary.accepted == ["BAO-LS_2022-03.csv"]
    assert summary.rejected == ["PTTH-LS_2022-03.csv"]
    report = (home.quarantine / "PTTH-LS_2022-03.csv.errors.txt").read_text(encoding="utf-8")
    assert "được lấy từ nơi gửi của BAO-LS" in report
    assert not (home.inbox / ".origin").exists()
    from outreach.orchestration.pipeline import build

    build(home)
    attention = needs_attention(home, parse_period("2022-H1"))
    assert [row.file_name for row in attention] == ["PTTH-LS_2022-03.csv"]


def test_a_summary_sheet_with_formulas_before_the_data_is_passed_over(tmp_path, reference):
    workbook = _workbook({"Tổng hợp": [["Tổng", "=SUM(BaoCao!D:D)"]], "Tháng 3": [LABELS, ROW]})
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert quantities(inspection) == [2] and inspection.details["sheet_name"] == "Tháng 3"


# --- the last gaps: garbled text, merged cells, other spreadsheets, stray cells ----------------

GARBLED_TITLE = "Đội tuyên truyền viên ở xã Hữu Lũng: phòng chống tội phạm"


def as_latin1_reads(text: str) -> str:
    """Text saved as UTF-8, opened as Latin-1 (ISO-8859-1, not Windows-1252): the bytes
    0x80-0x9F come out as the C1 control characters."""
    return text.encode("utf-8").decode("latin-1")


def english(inspection) -> str:
    return "\n".join(p.message_en for p in inspection.validated.problems)


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_utf8_read_as_latin1_and_saved_again_is_repaired(tmp_path, reference, extension):
    garbled = as_latin1_reads(GARBLED_TITLE)
    assert any("\x80" <= char <= "\x9f" for char in garbled)  # what Windows-1252 never gives
    row = [*ROW[:6], garbled, *ROW[7:]]
    if extension == "csv":
        path = write_csv(tmp_path, f"BAO-LS_2022-03.{extension}", [row])
    else:
        path = write_xlsx(tmp_path, f"BAO-LS_2022-03.{extension}", [row])
    inspection = inspect(path, reference)
    assert inspection.validated.is_accepted, messages(inspection)
    assert inspection.validated.records[0]["title"] == GARBLED_TITLE
    assert codes(inspection, blocking=False) == ["text_converted"]
    assert "UTF-8 bị lưu hai lần" in messages(inspection)


def test_c1_controls_that_do_not_read_as_vietnamese_are_refused_with_the_fix(tmp_path, reference):
    # half of the cell was typed again by hand: its Latin-1 reading is no text at all
    garbled = "Phòng chống " + as_latin1_reads("tội phạm")
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [[*ROW[:6], garbled, *ROW[7:]]])
    inspection = inspect(path, reference)
    assert codes(inspection) == ["garbled_text"]
    assert "Ô G2 có ký tự điều khiển U+0099, không có trong văn bản tiếng Việt" in messages(
        inspection
    )
    assert "Latin-1 (ISO-8859-1)" in messages(inspection)
    assert "UTF-8" in messages(inspection) and "gửi lại" in messages(inspection)
    assert "Cell G2 holds the control character U+0099" in english(inspection)
    assert "save it as .xlsx or CSV UTF-8" in english(inspection)


def test_merged_cells_in_the_data_area_are_named_not_reported_missing(tmp_path, reference):
    rows = [LABELS, ROW, ["", *ROW[1:]], ["", *ROW[1:]], ROW]
    workbook = _workbook({"BaoCao": rows})
    workbook["BaoCao"].merge_cells("A2:A4")  # one date for three rows, as it looks on screen
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert codes(inspection) == ["merged_cells"]
    assert "thiếu giá trị" not in messages(inspection)
    assert (
        "Các ô A2:A4 được gộp (Merge Cells) trong vùng số liệu, dòng 2–4: ô gộp chỉ giữ giá trị "
        "ở ô đầu (A2)" in messages(inspection)
    )
    assert "Unmerge Cells" in messages(inspection)
    assert "Cells A2:A4 are merged in the data area (rows 2–4)" in english(inspection)


def test_a_merge_across_columns_hiding_a_required_value_is_named(tmp_path, reference):
    workbook = _workbook({"BaoCao": [LABELS, ROW, [*ROW[:2], "", *ROW[3:]]]})
    workbook["BaoCao"].merge_cells("B3:C3")
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert codes(inspection) == ["merged_cells"]
    assert "Các ô B3:C3 được gộp" in messages(inspection)
    assert "Cells B3:C3 are merged" in english(inspection)


def test_a_title_merged_across_optional_columns_reads_as_it_shows(tmp_path, reference):
    workbook = _workbook({"BaoCao": [LABELS, [*ROW[:6], "Tiêu đề dài", None, None]]})
    workbook["BaoCao"].merge_cells("G2:I2")
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert inspection.validated.is_accepted, messages(inspection)
    assert inspection.validated.records[0]["title"] == "Tiêu đề dài"


def test_an_opendocument_spreadsheet_under_an_xlsx_name_is_named(tmp_path, reference):
    path = write_bytes(tmp_path, "BAO-LS_2022-03.xlsx", ods_bytes())
    inspection = inspect(path, reference)
    assert codes(inspection) == ["unreadable"]
    assert (
        "tệp là bảng tính OpenDocument (.ods, của LibreOffice hoặc OpenOffice) mang đuôi .xlsx; "
        "hãy mở tệp, chọn Lưu thành (Save As) dạng Excel 2007-365 (.xlsx)" in messages(inspection)
    )
    assert "hỏng" not in messages(inspection)
    assert "an OpenDocument spreadsheet (.ods) with an .xlsx name" in english(inspection)


def test_an_ods_file_is_refused_with_how_to_save_it(tmp_path, reference):
    inspection = inspect(write_bytes(tmp_path, "BAO-LS_2022-03.ods", ods_bytes()), reference)
    assert codes(inspection) == ["ods_workbook"]
    assert "là bảng tính OpenDocument (.ods, của LibreOffice hoặc OpenOffice)" in messages(
        inspection
    )
    assert "Lưu thành (Save As) dạng Excel 2007-365 (.xlsx)" in messages(inspection)
    assert "save it as Excel 2007-365 (.xlsx)" in english(inspection)


def test_a_strict_open_xml_workbook_is_named(tmp_path, reference):
    path = write_bytes(tmp_path, "BAO-LS_2022-03.xlsx", strict_xlsx_bytes(tmp_path))
    inspection = inspect(path, reference)
    assert codes(inspection) == ["unreadable"]
    assert "bảng tính được lưu dạng Strict Open XML Spreadsheet" in messages(inspection)
    assert "Excel Workbook (.xlsx) thông thường" in messages(inspection)
    assert "ẩn" not in messages(inspection) and "hỏng" not in messages(inspection)
    assert "a Strict Open XML workbook" in english(inspection)


@pytest.mark.parametrize(
    "data", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n\r\n", b"\xff\xfe", b"\xfe\xff"]
)
def test_a_file_of_only_a_byte_order_mark_is_empty(tmp_path, reference, data):
    inspection = inspect(write_bytes(tmp_path, "BAO-LS_2022-03.csv", data), reference)
    assert codes(inspection) == ["unreadable"]
    assert "tệp rỗng: chỉ có dấu đánh dấu bảng mã (BOM)" in messages(inspection)
    assert "the file is empty (a byte order mark and nothing else)" in english(inspection)


def test_a_stray_cell_far_below_the_table_is_named(tmp_path, reference):
    workbook = _workbook({"BaoCao": [LABELS, ROW]})
    workbook["BaoCao"]["C25000"] = "x"
    inspection = inspect(_save(workbook, tmp_path, "BAO-LS_2022-03.xlsx"), reference)
    assert codes(inspection) == ["unreadable"]
    assert (
        "tệp có hơn 20.000 dòng vì ô C25000 (dòng 25.000) có giá trị, xa bên dưới bảng số liệu; "
        "nếu đó là ô gõ nhầm, hãy xoá nội dung ô đó" in messages(inspection)
    )
    assert "cell C25000 (row 25000) holds a value" in english(inspection)


def test_too_many_rows_in_a_csv_is_said_in_one_sentence(tmp_path, reference):
    from ingest import reader

    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [ROW] * (reader.MAX_ROWS + 1))
    text = messages(inspect(path, reference))
    # once ", hãy kiểm tra" came out as ". hãy kiểm tra": every comma was made a full stop
    assert (
        "tệp có hơn 20.000 dòng (ít nhất 20.001 dòng); một báo cáo tháng không dài như vậy, hãy "
        "kiểm tra lại tệp" in text
    )


def test_a_date_of_five_thousand_digits_is_a_row_error_in_words(tmp_path, reference):
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [["9" * 5000, *ROW[1:]]])
    inspection = inspect(path, reference)
    assert [(p.code, p.column, p.row) for p in inspection.validated.problems] == [
        ("bad_value", "ngay", 2)
    ]
    text = messages(inspection)
    assert "Dòng 2, cột 'Ngày': giá trị '99999" in text
    assert "ô có một số dài 5.000 chữ số, không phải một ngày" in text
    assert "a number of 5,000 digits is not a date" in english(inspection)
    assert "4300" not in text + english(inspection) and "Error" not in english(inspection)
    assert len(text) < 400  # the value is quoted cut, not whole


# --- communes from before the 2025 reform --------------------------------------------------------

REFORM_ROW = ["05/09/2025", "Khác", "Tư vấn", "1", "", "12", "", "", ""]


@pytest.mark.parametrize(
    "commune, vietnamese, english_words",
    [
        (
            "05971",
            "05971 (Phường Hoàng Văn Thụ) là đơn vị cấp xã trước đợt sắp xếp đơn vị hành chính "
            "năm 2025 (bỏ cấp huyện, sáp nhập xã, từ ngày 01/07/2025), không còn trong tháng "
            "09/2025; từ ngày đó thuộc 06187 (Phường Kỳ Lừa): hãy ghi mã xã mới 06187 hoặc tên "
            "'Phường Kỳ Lừa'",
            "05971 (Phường Hoàng Văn Thụ) is a commune from before the 2025 reform of "
            "administrative units (districts abolished, communes merged, from 2025-07-01), gone "
            "in 2025-09; since then it is part of 06187 (Phường Kỳ Lừa)",
        ),
        (
            "Vinh Trai",
            "05977 (Phường Vĩnh Trại) là đơn vị cấp xã trước đợt sắp xếp",
            "since then it is part of 05977 (Phường Đông Kinh)",
        ),
        (
            "06622",
            "06622 (Xã Bính Xá) là đơn vị cấp xã trước đợt sắp xếp đơn vị hành chính năm 2025 (bỏ "
            "cấp huyện, sáp nhập xã, từ ngày 01/07/2025), không còn trong tháng 09/2025; đã được "
            "chia cho các xã mới 06613 (Xã Đình Lập), 06625 (Xã Kiên Mộc): hãy ghi mã xã mới nơi "
            "diễn ra hoạt động",
            "it was split between 06613 (Xã Đình Lập), 06625 (Xã Kiên Mộc)",
        ),
    ],
)
def test_a_commune_from_before_the_reform_is_refused_with_the_new_one(
    tmp_path, reference, commune, vietnamese, english_words
):
    row = [*REFORM_ROW[:4], commune, *REFORM_ROW[5:]]
    inspection = inspect(write_csv(tmp_path, "BPTTH-LS_2025-09.csv", [row]), reference)
    assert [(p.code, p.column) for p in inspection.validated.problems if p.blocking] == [
        ("bad_value", "ma_xa")
    ]
    assert vietnamese in messages(inspection)
    assert english_words in english(inspection)


def test_a_commune_that_never_was_gets_the_plain_message(tmp_path, reference):
    row = [*REFORM_ROW[:4], "Xã Không Có", *REFORM_ROW[5:]]
    inspection = inspect(write_csv(tmp_path, "BPTTH-LS_2025-09.csv", [row]), reference)
    assert "cần mã xã hoặc tên xã trong tỉnh" in messages(inspection)
    assert "sắp xếp" not in messages(inspection)


def test_a_number_of_five_thousand_digits_in_a_workbook_is_named_not_corrupt(tmp_path, reference):
    header = b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (column, label.encode())
        for column, label in zip(
            (b"A", b"B", b"C", b"D"), ("Ngày", "Chủ đề", "Hình thức", "Số lượng"), strict=True
        )
    )
    data = b'<c r="A2"><v>' + b"9" * 5000 + b'</v></c><c r="D2"><v>1</v></c>'
    rows = b'<row r="1">' + header + b'</row><row r="2">' + data + b"</row>"
    path = write_bytes(tmp_path, "BAO-LS_2022-03.xlsx", _raw_workbook(_sheet(rows)))
    inspection = inspect(path, reference)
    assert codes(inspection) == ["unreadable"]
    assert (
        "ô A2 của trang 'BaoCao' có một số dài hơn 4.000 chữ số, không thể là ngày hay số lượng; "
        "hãy sửa hoặc xoá ô đó" in messages(inspection)
    )
    assert "cell A2 of sheet 'BaoCao' holds a number of more than 4000 digits" in english(
        inspection
    )
    assert "hỏng" not in messages(inspection) and "4300" not in english(inspection)


def test_a_count_too_large_is_said_in_one_sentence(tmp_path, reference):
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [[*ROW[:3], "2000000000", *ROW[4:]]])
    inspection = inspect(path, reference)
    assert "số quá lớn (tối đa 1.000.000.000), hãy kiểm tra lại" in messages(inspection)
