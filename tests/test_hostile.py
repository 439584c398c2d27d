"""Hostile and broken files: each is quarantined untouched with a clear bilingual report, and
the other files of the same run are loaded."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fast_tier import heavy_fixture
from helpers import new_home, ods_bytes, strict_xlsx_bytes, write_bytes, write_csv, write_xlsx

from ingest import reader
from ingest.load import ingest_inbox

ROW = ["05/03/2022", "Khác", "Tin, bài", "1", "", "", "", "", ""]


def _xlsx_bytes(tmp_path, rows, **kwargs) -> bytes:
    return write_xlsx(tmp_path / "made", "x.xlsx", rows, **kwargs).read_bytes()


def _encrypted_xlsx(tmp_path) -> bytes:
    import msoffcrypto.format.ooxml

    plain = io.BytesIO(_xlsx_bytes(tmp_path, [ROW]))
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("mat-khau", encrypted)
    return encrypted.getvalue()


def _legacy_xls(tmp_path) -> bytes:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("BaoCao")
    for column, label in enumerate(["Ngày", "Chủ đề", "Hình thức", "Số lượng"]):
        sheet.write(0, column, label)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_bomb(tmp_path) -> bytes:
    """A valid xlsx whose shared strings inflate to 80 MB."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx_bytes(tmp_path, [ROW])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("xl/sharedStrings.xml", b"<sst>" + b"a" * 80_000_000 + b"</sst>")
    return out.getvalue()


def _formula(tmp_path) -> bytes:
    return _xlsx_bytes(tmp_path, [["05/03/2022", "Khác", "Tin, bài", "=2+3"]])


def _far_cell(tmp_path) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Ngày", "Chủ đề", "Hình thức", "Số lượng"])
    sheet["A1048576"] = "cuối"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _many_rows(tmp_path) -> bytes:
    return write_csv(tmp_path / "made", "x.csv", [ROW] * (reader.MAX_ROWS + 1)).read_bytes()


CASES = {
    # file name: (how to make its bytes, words the Vietnamese report must contain)
    "PVHTT-180_2022-03.csv": (lambda tmp: b"", "tệp rỗng"),
    "PVHTT-181_2022-03.xlsx": (lambda tmp: b"", "tệp rỗng"),
    "PVHTT-182_2022-03.csv": (lambda tmp: bytes(range(256)) * 64, "không phải văn bản"),
    "BAO-LS_2022-04.csv": (lambda tmp: bytes(range(1, 128)) * 64, "dữ liệu nhị phân"),
    "PVHTT-183_2022-03.csv": (lambda tmp: _xlsx_bytes(tmp, [ROW]), "mang đuôi .csv"),
    "PVHTT-184_2022-03.xlsx": (lambda tmp: _xlsx_bytes(tmp, [ROW])[:500], "bị hỏng"),
    "PVHTT-185_2022-03.xlsx": (_encrypted_xlsx, "mật khẩu"),
    "PVHTT-186_2022-03.xls": (_legacy_xls, "Excel Workbook (.xlsx)"),
    "PVHTT-187_2022-03.xlsx": (_zip_bomb, "kích thước giải nén bất thường"),
    "PVHTT-188_2022-03.xlsx": (_formula, "ô D2 chứa công thức"),
    "PVHTT-189_2022-03.xlsx": (_far_cell, "hơn 20.000 dòng"),
    "PVHTT-178_2022-03.csv": (_many_rows, "hơn 20.000 dòng"),
    "TW-VTV_2022-03.csv": (lambda tmp: b"x" * (20 * 1024 * 1024 + 1), "lớn hơn 20 MB"),
    "BAO-LS_2022-03\x07.csv": (lambda tmp: b"ngay,chu_de\n", "không đúng mẫu"),
    # a count beyond any month's (and beyond 64-bit integers): once stopped a whole batch
    "TW-VOV_2022-03.csv": (
        lambda tmp: (
            b"ngay,chu_de,hinh_thuc,so_luong\r\n05/03/2022,ma_tuy,"
            b"tin_bai,100.000.000.000.000.000.000\r\n"
        ),
        "hơn 15 chữ số",
    ),
    # a UTF-8 mark, then a letter cut in half: once stopped the whole ingest
    "TW-CAND_2022-03.csv": (
        lambda tmp: b"\xef\xbb\xbfngay,chu_de\r\n05/03/2022,Ph\xc3",
        "không phải văn bản UTF-8",
    ),
    # once "no header row", "ValueError: Exceeds the limit (4300 digits)", "corrupt", "every sheet
    # hidden", or stored garbled with no word
    "PVHTT-180_2022-04.csv": (lambda tmp: b"\xef\xbb\xbf", "tệp rỗng: chỉ có dấu đánh dấu"),
    "PVHTT-181_2022-04.csv": (
        lambda tmp: b"ngay,chu_de,hinh_thuc,so_luong\r\n" + b"7" * 5000 + b",khac,tin_bai,1\r\n",
        "ô có một số dài 5.000 chữ số, không phải một ngày",
    ),
    "PVHTT-182_2022-04.xlsx": (lambda tmp: ods_bytes(), "bảng tính OpenDocument (.ods"),
    "PVHTT-183_2022-04.xlsx": (strict_xlsx_bytes, "Strict Open XML Spreadsheet"),
    "PVHTT-184_2022-04.csv": (
        lambda tmp: (
            "ngay,chu_de,hinh_thuc,so_luong,tieu_de\r\n05/03/2022,khac,tin_bai,1,"
            "Phòng chống tá»\x99i\r\n".encode()
        ),
        "ký tự điều khiển U+0099",
    ),
    "PVHTT-185_2022-04.xlsx": (_far_cell, "ô A1048576 (dòng 1.048.576) có giá trị"),
}


@heavy_fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    home = new_home(tmp / "home")
    originals = {name: make(tmp) for name, (make, _) in CASES.items()}
    for name, data in originals.items():
        write_bytes(home.inbox, name, data)
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    summary = ingest_inbox(home)
    return home, summary, originals


def test_the_good_file_of_the_run_is_loaded(hostile_run):
    home, summary, _ = hostile_run
    assert summary.accepted == ["BAO-LS_2022-03.csv"]
    assert (home.archive / "BAO-LS_2022-03.csv").is_file()
    assert not any(home.inbox.iterdir())


@pytest.mark.parametrize("name", list(CASES))
def test_each_hostile_file_is_quarantined_untouched_with_its_reason(hostile_run, name):
    home, summary, originals = hostile_run
    assert name in summary.rejected
    assert (home.quarantine / name).read_bytes() == originals[name]
    report = (home.quarantine / f"{name}.errors.txt").read_text(encoding="utf-8")
    assert CASES[name][1] in report
    assert "ERRORS" in report and "LỖI" in report


def test_no_report_carries_the_text_of_an_internal_exception(hostile_run):
    """What a library raised is in the ingest log; a sender reads what is wrong and what to do."""
    home, _, _ = hostile_run
    for report in home.quarantine.rglob("*.errors.txt"):
        text = report.read_text(encoding="utf-8")
        assert not re.search(r"[A-Za-z]+(Error|Exception)\b|Traceback|BadZipFile", text), report
