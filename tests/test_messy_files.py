"""Files as offices really send them: English thousands, legacy fonts, broken quotes, subtotal,
hidden and example rows, two-row headers, template sheets, second files at the same revision.
Each is a real file written by the test; what matters is what ends up in the warehouse."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import duckdb
import pytest
from helpers import LABELS, new_home, write_bytes, write_csv, write_xlsx

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
    assert "Thiếu cột bắt buộc 'Số lượng' (so_luong) ở dòng tiêu đề 2 (trang 'BaoCao')" in messages(
        inspection
    )
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
