"""Every rule of the submission contract (docs/contract.md) this product implements, on real
files written to disk."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

import pytest
from helpers import LABELS, write_bytes, write_csv, write_xlsx

from ingest.load import inspect_file
from ingest.naming import parse_name
from ingest.problems import render_report

MACHINE = [
    "ngay",
    "chu_de",
    "hinh_thuc",
    "so_luong",
    "ma_xa",
    "so_nguoi",
    "tieu_de",
    "duong_dan",
    "ghi_chu",
]
ROW = ["05/03/2022", "Phòng, chống mua bán người", "Tin, bài", "2", "", "", "Tiêu đề", "", ""]


def inspect(path, reference):
    return inspect_file(path, reference)


def errors(inspection) -> list[tuple[str, str | None, int | None]]:
    return [(p.code, p.column, p.row) for p in inspection.validated.problems if p.blocking]


# --- file names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_name, expected",
    [
        ("BAO-LS_2022-03.xlsx", ("monthly", "BAO-LS", date(2022, 3, 1), 1, "xlsx")),
        ("PVHTT-180_2022-03_r2.csv", ("monthly", "PVHTT-180", date(2022, 3, 1), 2, "csv")),
        ("VANBAN_STTTT_2022-01.xlsx", ("directives", "STTTT", date(2022, 1, 1), 1, "xlsx")),
        ("VANBAN_STTTT_2022-01_r3.CSV", ("directives", "STTTT", date(2022, 1, 1), 3, "csv")),
    ],
)
def test_file_names_that_follow_the_contract(file_name, expected):
    name = parse_name(file_name)
    assert (name.kind, name.source_code, name.month, name.revision, name.extension) == expected


@pytest.mark.parametrize(
    "file_name",
    [
        "BAO-LS_2022-13.xlsx",
        "BAO-LS_2022-3.xlsx",
        "BAO-LS_2022-03_r0.csv",
        "bao cao thang 3.xlsx",
        "BAO-LS-2022-03.csv",
        "BAO-LS_2022-03",
        "../BAO-LS_2022-03.csv",
        "BAO-LS_2022-03.csv\n",  # `$` would match before the newline
        "BAO-LS_2022-03.csv\r\n",
        "\nBAO-LS_2022-03.csv",
    ],
)
def test_file_names_that_do_not_parse(file_name):
    assert parse_name(file_name) is None


def test_a_bad_name_is_rejected_with_the_pattern_to_follow(tmp_path, reference):
    inspection = inspect(write_csv(tmp_path, "bao cao thang 3.csv", [ROW]), reference)
    assert errors(inspection) == [("bad_name", None, None)]
    assert "BAO-LS_2022-03.xlsx" in inspection.validated.problems[0].message_vi


@pytest.mark.parametrize(
    "file_name, vietnamese, english",
    [
        (
            "BAO-LS_2022-03\u200b.csv",
            "có ký tự không được dùng trong tên tệp: U+200B (khoảng trắng không nhìn thấy) ở vị "
            "trí 15. Tên tệp chỉ gồm chữ cái không dấu, chữ số, dấu '-' và '_', ví dụ "
            "BAO-LS_2022-03.xlsx. Hãy đổi tên thành 'BAO-LS_2022-03.csv' rồi gửi lại.",
            "U+200B (zero-width space) at position 15",
        ),
        (
            "thang3\u2215BAO-LS_2022-03.csv",
            "U+2215 (dấu giống gạch chéo '/') ở vị trí 7",
            "U+2215 (a character that looks like a slash '/') at position 7. A name has only "
            "unaccented letters, digits, '-' and '_', e.g. BAO-LS_2022-03.xlsx. Rename it "
            "'BAO-LS_2022-03.csv' and send it again.",
        ),
        (
            "BAO-LS_2022\x1b-03.csv",
            "Tên tệp 'BAO-LS_2022%1B-03.csv' không đúng mẫu: có ký tự không được dùng trong tên "
            "tệp: U+001B (ký tự điều khiển) ở vị trí 12",
            "U+001B (control character) at position 12",
        ),
        (
            "BAO-LS_2022-03\u202e.csv",
            "U+202E (ký tự định dạng không nhìn thấy) ở vị trí 15",
            "U+202E (invisible format character) at position 15",
        ),
    ],
)
def test_a_name_with_a_character_no_name_holds_names_the_character(
    tmp_path, reference, file_name, vietnamese, english
):
    inspection = inspect(write_csv(tmp_path, file_name, [ROW]), reference)
    assert errors(inspection) == [("name_characters", None, None)]
    problem = inspection.validated.problems[0]
    assert "không đúng mẫu" in problem.message_vi and vietnamese in problem.message_vi
    assert english in problem.message_en


@pytest.mark.parametrize(
    "file_name, code",
    [
        ("XYZ_2022-03.csv", "unknown_source"),
        ("BAO-LS_2021-12.csv", "source_inactive"),  # registered from 2022-01
        ("PVHTT-180_2025-07.csv", "source_inactive"),  # district offices end on 2025-06-30
        ("BAO-LS_2022-03.xls", "legacy_xls"),
        ("BAO-LS_2022-03.docx", "unsupported_format"),
    ],
)
def test_names_the_registry_or_the_format_refuse(tmp_path, reference, file_name, code):
    inspection = inspect(write_csv(tmp_path, file_name, [ROW]), reference)
    assert code in [c for c, _, _ in errors(inspection)]


def test_a_month_that_had_not_started_when_the_file_arrived(tmp_path, reference):
    path = write_csv(
        tmp_path, "BAO-LS_2022-03.csv", [ROW], sent_at=datetime(2022, 2, 20, tzinfo=UTC)
    )
    assert errors(inspect(path, reference)) == [("future_month", None, None)]


def test_months_are_those_of_the_vietnamese_calendar(tmp_path, reference):
    # 1 March 05:00 in Lạng Sơn is still 28 February in UTC
    row = ["01/03/2022", *ROW[1:]]
    path = write_csv(
        tmp_path, "BAO-LS_2022-03.csv", [row], sent_at=datetime(2022, 2, 28, 22, 0, tzinfo=UTC)
    )
    assert inspect(path, reference).validated.is_accepted


# --- text, encodings, delimiters ---------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, delimiter",
    [
        ("utf-8", ","),
        ("utf-8-sig", ";"),
        ("utf-16", "\t"),
        ("cp1258", ","),
        ("utf-8", "\t"),
    ],
)
def test_encodings_and_delimiters_give_the_same_records(tmp_path, reference, encoding, delimiter):
    rows = [
        ROW,
        ["06/03/2022", "Ma túy", "Phóng sự", "1", "", "", "Đường dây ma túy", "", "Ghi chú"],
    ]
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", rows, encoding=encoding, delimiter=delimiter)
    inspection = inspect(path, reference)
    assert inspection.validated.is_accepted, inspection.validated.problems
    records = inspection.validated.records
    assert [(r["topic_code"], r["output_type_code"], r["quantity"]) for r in records] == [
        ("mua_ban_nguoi", "tin_bai", 2),
        ("ma_tuy", "phong_su", 1),
    ]
    assert records[1]["title"] == "Đường dây ma túy"
    assert unicodedata.is_normalized("NFC", records[1]["title"])


def test_decomposed_vietnamese_is_stored_composed(tmp_path, reference):
    row = [unicodedata.normalize("NFD", str(cell)) for cell in ROW]
    row[6] = unicodedata.normalize("NFD", "Cảnh giác với thủ đoạn lừa bán người")
    header = [unicodedata.normalize("NFD", label) for label in LABELS]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row], header=header), reference)
    assert inspection.validated.is_accepted
    assert inspection.validated.records[0]["title"] == "Cảnh giác với thủ đoạn lừa bán người"
    assert unicodedata.is_normalized("NFC", inspection.validated.records[0]["title"])


@pytest.mark.parametrize(
    "header",
    [
        MACHINE,
        LABELS,
        ["SO_LUONG" if h == "so_luong" else h.upper() for h in MACHINE],
        [
            "ngay",
            "chu de",
            "HINH THUC",
            "so luong",
            "Ma xa",
            "so nguoi",
            "tieu de",
            "duong dan",
            "ghi chu",
        ],
    ],
)
def test_headers_match_case_and_diacritics_insensitively(tmp_path, reference, header):
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [ROW], header=header), reference)
    assert inspection.validated.is_accepted, inspection.validated.problems
    assert inspection.validated.records[0]["quantity"] == 2


def test_columns_in_any_order(tmp_path, reference):
    order = [3, 0, 2, 1, 4, 5, 6, 7, 8]
    inspection = inspect(
        write_csv(
            tmp_path,
            "BAO-LS_2022-03.csv",
            [[ROW[i] for i in order]],
            header=[LABELS[i] for i in order],
        ),
        reference,
    )
    assert inspection.validated.records[0]["quantity"] == 2
    assert inspection.validated.records[0]["activity_date"] == date(2022, 3, 5)


def test_binary_junk_with_a_csv_name_is_rejected(tmp_path, reference):
    path = write_bytes(tmp_path, "BAO-LS_2022-03.csv", bytes(range(256)) * 4)
    assert [code for code, _, _ in errors(inspect(path, reference))] == ["unreadable"]


# --- xlsx ------------------------------------------------------------------------------------


def test_xlsx_header_below_merged_title_rows(tmp_path, reference):
    path = write_xlsx(
        tmp_path,
        "BAO-LS_2022-03.xlsx",
        [[datetime(2022, 3, 5), "Phòng, chống ma túy", "Ảnh", 3.0, None, None, "Ảnh", None, None]],
        title_rows=["BÁO LẠNG SƠN", "BÁO CÁO THÁNG 3/2022", ""],
    )
    inspection = inspect(path, reference)
    assert inspection.validated.is_accepted, inspection.validated.problems
    assert inspection.validated.header_row == 4
    record = inspection.validated.records[0]
    assert (record["activity_date"], record["quantity"], record["output_type_code"]) == (
        date(2022, 3, 5),
        3,
        "anh",
    )


def test_xlsx_sheet_named_baocao_is_read_instead_of_the_first(tmp_path, reference):
    path = write_xlsx(
        tmp_path,
        "BAO-LS_2022-03.xlsx",
        [["05/03/2022", "Khác", "Tin, bài", 7, None, None, None, None, None]],
        sheets_before=["Hướng dẫn"],
        sheet_name="BaoCao",
    )
    inspection = inspect(path, reference)
    assert inspection.details["sheet_name"] == "BaoCao"
    assert inspection.validated.records[0]["quantity"] == 7


def test_corrupt_xlsx_is_rejected(tmp_path, reference):
    good = write_xlsx(tmp_path / "good", "BAO-LS_2022-03.xlsx", [])
    path = write_bytes(tmp_path, "BAO-LS_2022-03.xlsx", good.read_bytes()[:300])
    inspection = inspect(path, reference)
    assert [code for code, _, _ in errors(inspection)] == ["unreadable"]
    assert "hỏng" in inspection.validated.problems[0].message_vi


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("05/03/2022", date(2022, 3, 5)),
        ("5/3/2022", date(2022, 3, 5)),
        ("2022-03-05", date(2022, 3, 5)),
        ("44625", date(2022, 3, 5)),
    ],
)
def test_dates_as_people_write_them(tmp_path, reference, cell, expected):
    row = [cell, *ROW[1:]]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row]), reference)
    assert inspection.validated.records[0]["activity_date"] == expected


def test_excel_date_serial_in_a_number_cell(tmp_path, reference):
    path = write_xlsx(
        tmp_path,
        "BAO-LS_2022-03.xlsx",
        [[44625, "Khác", "Tin, bài", 1, None, None, None, None, None]],
    )
    assert inspect(path, reference).validated.records[0]["activity_date"] == date(2022, 3, 5)


@pytest.mark.parametrize(
    "cell, expected", [("1.234", 1234), ("12", 12), ("3.0", 3), ("1 234", 1234), ("0", 0)]
)
def test_whole_numbers_with_vietnamese_grouping(tmp_path, reference, cell, expected):
    row = [*ROW[:3], cell, *ROW[4:]]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row]), reference)
    assert inspection.validated.records[0]["quantity"] == expected


@pytest.mark.parametrize("cell", ["3,5", "-2", "mười", "1.2345", "12a"])
def test_numbers_that_are_not_whole_and_non_negative(tmp_path, reference, cell):
    row = [*ROW[:3], cell, *ROW[4:]]
    assert errors(inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row]), reference)) == [
        ("bad_value", "so_luong", 2)
    ]


def test_a_utf8_mark_then_bytes_that_are_not_utf8(tmp_path, reference):
    """A file cut in the middle of a letter, after a UTF-8 byte order mark."""
    text = ";".join(LABELS) + "\r\n05/03/2022;Phòng, chống ma túy;Tin, bài;1;;;Ma túy;;\r\n"
    data = b"\xef\xbb\xbf" + text.encode("utf-8")
    cut = data[: data.index("ú".encode()) + 1]  # half of a two-byte letter
    path = write_bytes(tmp_path, "BAO-LS_2022-03.csv", cut + b" tail")
    inspection = inspect(path, reference)
    assert [code for code, _, _ in errors(inspection)] == ["unreadable"]
    assert "UTF-8" in inspection.validated.problems[0].message_vi


@pytest.mark.parametrize("cell", ["²", "٣", "12/13/2022", "3 tháng 3"])
def test_digits_that_are_not_a_date(tmp_path, reference, cell):
    """Superscripts and other scripts' digits pass str.isdigit(), but are no Excel serial."""
    row = [cell, *ROW[1:]]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row]), reference)
    assert errors(inspection) == [("bad_value", "ngay", 2)]


def test_a_date_outside_the_files_month(tmp_path, reference):
    row = ["28/02/2022", *ROW[1:]]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row]), reference)
    assert errors(inspection) == [("bad_value", "ngay", 2)]
    assert "03/2022" in inspection.validated.problems[0].message_vi


def test_codes_and_labels_of_topics_and_output_types(tmp_path, reference):
    rows = [
        ["05/03/2022", code, kind, "1", "", "", "", "", ""]
        for code, kind in [
            ("mua_ban_nguoi", "tin_bai"),
            ("PHONG CHONG MA TUY", "phong su"),
            ("Tội phạm", "MXH"),
        ]
    ]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", rows), reference)
    assert [(r["topic_code"], r["output_type_code"]) for r in inspection.validated.records] == [
        ("mua_ban_nguoi", "tin_bai"),
        ("ma_tuy", "phong_su"),
        ("toi_pham", "mang_xa_hoi"),
    ]


def test_unknown_topic_is_rejected_with_the_allowed_topics(tmp_path, reference):
    """The sender is told the topics as the template lists them, the engineer their codes."""
    row = [ROW[0], "an toàn giao thông", *ROW[2:]]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row]), reference)
    assert errors(inspection) == [("bad_value", "chu_de", 2)]
    [problem] = inspection.validated.problems
    assert "'Phòng, chống mua bán người'" in problem.message_vi
    assert "mua_ban_nguoi" not in problem.message_vi and "mua_ban_nguoi" in problem.message_en


def test_invalid_url(tmp_path, reference):
    row = [*ROW[:7], "baolangson.vn/bai-1", ""]
    assert errors(inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row]), reference)) == [
        ("bad_value", "duong_dan", 2)
    ]


# --- communes and people -----------------------------------------------------------------------


def _counselling(commune: str, people: str = "120") -> list[str]:
    return ["10/03/2022", "Mua bán người", "Tư vấn", "1", commune, people, "", "", ""]


@pytest.mark.parametrize(
    "commune, expected",
    [
        ("06238", "06238"),
        ("6238", "06238"),
        ("Xã Mẫu Sơn", "06238"),
        ("Mau Son", "06238"),
        ("xa mau son", "06238"),
        ("Thị trấn Đồng Đăng", "06184"),
        ("Dong Dang", "06184"),
    ],
)
def test_commune_by_code_or_name_within_the_district(tmp_path, reference, commune, expected):
    path = write_csv(tmp_path, "PVHTT-183_2022-03.csv", [_counselling(commune)])
    inspection = inspect(path, reference)
    assert inspection.validated.is_accepted, inspection.validated.problems
    assert inspection.validated.records[0]["commune_code"] == expected


def test_commune_of_another_district_is_rejected(tmp_path, reference):
    # 06532 is Xã Mẫu Sơn of Lộc Bình (188), not of Cao Lộc (183)
    path = write_csv(tmp_path, "PVHTT-183_2022-03.csv", [_counselling("06532")])
    assert errors(inspect(path, reference)) == [("bad_value", "ma_xa", 2)]


def test_a_name_two_communes_share_is_ambiguous_for_a_provincial_outlet(tmp_path, reference):
    path = write_csv(tmp_path, "BAO-LS_2022-03.csv", [_counselling("Mẫu Sơn")])
    inspection = inspect(path, reference)
    assert errors(inspection) == [("bad_value", "ma_xa", 2)]
    message = inspection.validated.problems[0].message_vi
    assert "06238" in message and "06532" in message


@pytest.mark.parametrize(
    "row, column",
    [
        (_counselling(""), "ma_xa"),
        (_counselling("06238", ""), "so_nguoi"),
        (["10/03/2022", "Mua bán người", "Tập huấn", "1", "", "", "", "", ""], "so_nguoi"),
    ],
)
def test_counselling_and_training_need_commune_and_people(tmp_path, reference, row, column):
    path = write_csv(tmp_path, "PVHTT-183_2022-03.csv", [row])
    assert errors(inspect(path, reference)) == [("required_value", column, 2)]


# --- the table as a whole ----------------------------------------------------------------------


def test_header_and_no_rows_is_a_valid_report_of_nothing(tmp_path, reference):
    inspection = inspect(write_csv(tmp_path, "TW-VTV_2022-03.csv", []), reference)
    assert inspection.validated.is_accepted
    assert inspection.validated.records == []


def test_missing_required_column(tmp_path, reference):
    header = [h for h in LABELS if h != "Hình thức"]
    row = [c for h, c in zip(LABELS, ROW, strict=True) if h != "Hình thức"]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [row], header=header), reference)
    assert errors(inspection) == [("missing_column", "hinh_thuc", None)]


def test_duplicate_column(tmp_path, reference):
    header = [*LABELS, "So luong"]
    inspection = inspect(
        write_csv(tmp_path, "BAO-LS_2022-03.csv", [[*ROW, "3"]], header=header), reference
    )
    assert errors(inspection) == [("duplicate_column", "so_luong", None)]


def test_unknown_column_is_a_warning_not_a_rejection(tmp_path, reference):
    header = [*LABELS, "Người nhập"]
    inspection = inspect(
        write_csv(tmp_path, "BAO-LS_2022-03.csv", [[*ROW, "Lan"]], header=header), reference
    )
    assert inspection.validated.is_accepted
    assert [p.code for p in inspection.validated.problems] == ["unknown_column"]


def test_no_header_row(tmp_path, reference):
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", [ROW], header=None), reference)
    assert [code for code, _, _ in errors(inspection)] == ["no_header"]


def test_every_bad_row_is_listed_and_the_file_is_refused_whole(tmp_path, reference):
    rows = [ROW, [*ROW[:3], "x", *ROW[4:]], ["31/02/2022", *ROW[1:]], ROW]
    inspection = inspect(write_csv(tmp_path, "BAO-LS_2022-03.csv", rows), reference)
    assert errors(inspection) == [("bad_value", "so_luong", 3), ("bad_value", "ngay", 4)]
    assert inspection.validated.records == []
    report = render_report("BAO-LS_2022-03.csv", inspection.validated.problems)
    assert "Dòng 3, cột 'Số lượng': giá trị 'x'" in report
    assert "Row 3, column 'so_luong': value 'x'" in report
    assert "Dòng 4, cột 'Ngày'" in report and "Row 4, column 'ngay'" in report


def test_directive_documents_file(tmp_path, reference):
    path = write_xlsx(
        tmp_path,
        "VANBAN_STTTT_2022-01.xlsx",
        [["31/STTTT-TTBCXB", datetime(2022, 1, 7), "Tuyên truyền ...", "Tội phạm"]],
        header=["Số, ký hiệu", "Ngày ban hành", "Trích yếu", "Chủ đề"],
        title_rows=["DANH MỤC VĂN BẢN"],
    )
    inspection = inspect(path, reference)
    assert inspection.validated.records == [
        {
            "row_number": 3,
            "document_number": "31/STTTT-TTBCXB",
            "issued_date": date(2022, 1, 7),
            "summary": "Tuyên truyền ...",
            "topic_code": "toi_pham",
        }
    ]
