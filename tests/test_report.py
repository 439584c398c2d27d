"""The report: its figures against independent SQL, its text, its layout, its narrative."""

from __future__ import annotations

import json
import math
import re
import shutil

import docx
import pytest
from helpers import PERIOD, document_text, footnotes, machine_wording, new_home, report_body
from independent import expected_figures

from outreach.core.numbers import format_count, format_date_long, format_percent
from report.build import write_report

ZERO_WHEN_ABSENT = ("outputs.", "outlet_month.", "district_output.", "local_output.")


@pytest.fixture(scope="module")
def figures(demo):
    return json.loads(demo["report"].figures.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def text(demo):
    return document_text(demo["report"].docx)


def test_every_figure_equals_independent_sql_over_the_accepted_submissions(demo, figures):
    expected = expected_figures(str(demo["home"].warehouse), PERIOD)
    assert len(figures["figures"]) > 100
    for figure in figures["figures"]:
        if figure["id"] in expected:
            want = expected[figure["id"]]
        else:
            assert figure["id"].startswith(ZERO_WHEN_ABSENT), f"no independent value: {figure}"
            want = 0
        assert math.isclose(figure["value"], want, rel_tol=1e-9), (figure, want)


def test_a_period_with_no_year_before_in_the_warehouse_says_so_once(figures, text):
    """The demo's first half of 2022 has no 2021 to compare with: no comparison is printed or
    recorded, and the report says why, once."""
    assert text.count("Hệ thống chưa có số liệu cùng kỳ năm 2021 để so sánh.") == 1
    assert not [f for f in figures["figures"] if ".same_period." in f["id"]]
    assert "so với cùng kỳ" not in text and "Phụ lục 2. So sánh" not in text


def test_every_figure_appears_in_the_document_in_vietnamese_format(figures, text):
    printed = [figure for figure in figures["figures"] if figure["part"] != "draft"]
    for figure in printed:
        assert figure["text"] in text, figure
        if isinstance(figure["value"], float) and not figure["value"].is_integer():
            assert figure["text"] == format_percent(figure["value"])
            assert "," in figure["text"] or figure["text"].endswith("%")
        elif figure["value"] >= 1000 and isinstance(figure["value"], int):
            assert figure["text"] == format_count(figure["value"]) and "." in figure["text"]


def test_the_document_has_the_sections_of_the_seed_report(text):
    for heading in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "Số: ",
        "/BC-STTTT",
        "BÁO CÁO",
        "Kính gửi: Ban Chỉ đạo 138 tỉnh",
        "1. Công tác chỉ đạo, triển khai thực hiện",
        "2. Kết quả thông tin, tuyên truyền",
        "3. Đánh giá",
        "4. Ưu điểm, tồn tại, hạn chế và giải pháp khắc phục",
        "4.1. Ưu điểm",
        "4.2. Tồn tại, hạn chế",
        "4.3. Giải pháp khắc phục",
        "5. Phương hướng, nhiệm vụ trong thời gian tới",
        "Nơi nhận:",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Lê Hải Yến",
        "PHỤ LỤC",
        "6 tháng đầu năm 2022",
    ]:
        assert heading in text, heading
    assert f"Lạng Sơn, {format_date_long(PERIOD.end.replace(month=7, day=11))}" in text
    assert "DỰ THẢO" not in text


def test_the_four_indicators_with_value_and_target(text, figures):
    by_id = {f["id"]: f for f in figures["figures"]}
    for code, target in [
        ("I1_communes_counselled", "30%"),
        ("I2_monthly_posting", "100%"),
        ("I3_people_reached", "70%"),
        ("I4_reporters_trained", "100%"),
    ]:
        value = by_id[f"indicator.{code}.value"]["text"]
        assert by_id[f"indicator.{code}.target"]["text"] == target
        assert value in text and f"chỉ tiêu: {target}" in text


def test_calibrated_like_the_seed_report(figures):
    by_id = {f["id"]: f["value"] for f in figures["figures"]}
    assert by_id["outputs.outlet_central.media.all"] > 50
    assert by_id["indicator.I1_communes_counselled.value"] >= 0.30
    assert 0.70 <= by_id["indicator.I3_people_reached.value"] <= 0.90
    assert by_id["indicator.I4_reporters_trained.value"] == 1.0
    assert by_id["indicator.I2_monthly_posting.value"] < 1.0  # the planted missing posting


def test_the_directive_documents_are_a_real_footnote(demo):
    document = docx.Document(str(demo["report"].docx))
    notes = footnotes(document)
    assert list(notes) == ["1"]
    assert notes["1"].startswith(
        "Công văn số 31/STTTT-TTBCXB ngày 07/01/2022 của Sở Thông tin và Truyền thông"
    )
    assert "số 1085/STTTT-TTBCXB ngày 30/05/2022" in notes["1"]
    [paragraph] = [p for p in document.paragraphs if "đã ban hành" in p.text]
    assert paragraph._p.xpath(".//w:footnoteReference/@w:id") == ["1"]
    assert "Công văn số 31" not in "\n".join(p.text for p in document.paragraphs)


def test_the_header_table_and_the_signature_block(demo):
    document = docx.Document(str(demo["report"].docx))
    header, signature = document.tables[0], document.tables[1]
    left, right = (cell.paragraphs for cell in header.rows[0].cells)
    assert [p.text for p in left if p.text] == [
        "UBND TỈNH LẠNG SƠN",
        "SỞ THÔNG TIN VÀ\nTRUYỀN THÔNG",
        "Số: " + "\u00a0" * 6 + "/BC-STTTT",
    ]
    assert [p.text for p in right if p.text] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Lạng Sơn, ngày 11 tháng 7 năm 2022",
    ]
    assert all(run.bold for p in right[:2] for run in p.runs)
    assert right[-1].runs[0].italic
    assert any("w:pBdr" in p._p.xml for p in right)  # the rule under the motto
    recipients, signer = (cell.paragraphs for cell in signature.rows[0].cells)
    assert [p.text for p in recipients][:3] == [
        "Nơi nhận:",
        "- Như trên;",
        "- Phòng PV01 - Công an tỉnh;",
    ]
    signed = [p.text for p in signer if p.text]
    assert signed == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Lê Hải Yến"]
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in texts and "Kính gửi: Ban Chỉ đạo 138 tỉnh" in texts


def test_editing_the_template_wording_changes_the_report(demo, tmp_path):
    from docx import Document

    from report.build import DEFAULT_TEMPLATE

    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    template = Document(str(DEFAULT_TEMPLATE))
    [paragraph] = [p for p in template.paragraphs if p.text == "Kết quả cụ thể:"]
    paragraph.runs[0].text = "Kết quả cụ thể của từng nhóm đơn vị:"
    (home.root / "templates").mkdir()
    template.save(str(home.root / "templates" / "bao-cao.docx"))
    text = document_text(write_report(home, PERIOD).docx)
    assert "Kết quả cụ thể của từng nhóm đơn vị:" in text
    assert "Kết quả cụ thể:" not in text


def test_the_annex_flags_every_planted_problem(text):
    assert "Tháng 04/2022 không có tin, bài nào về phòng, chống mua bán người" in text
    assert "Chưa gửi báo cáo tháng 05/2022" in text  # PVHTT-189, never sent
    assert text.count("bị trả lại vì không hợp lệ") == 2  # the two broken files
    assert "muộn 15 ngày" in text  # PVHTT-184, March


def test_page_setup_and_fonts(demo):
    document = docx.Document(str(demo["report"].docx))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= section.top_margin.mm <= 25 and 20 <= section.bottom_margin.mm <= 25
    assert 30 <= section.left_margin.mm <= 35 and 15 <= section.right_margin.mm <= 20
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml
    fonts = {run.font.name for p in document.paragraphs for run in p.runs if run.text.strip()}
    assert fonts == {"Times New Roman"}


def test_missing_narrative_sections_are_marked_as_draft(demo, tmp_path):
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    (home.root / "narratives").mkdir()
    (home.root / "narratives" / "2022-H1.md").write_text(
        "## Đánh giá\n\nĐoạn đánh giá do cán bộ viết.\n", encoding="utf-8"
    )
    files = write_report(home, PERIOD)
    text = document_text(files.docx)
    assert "Đoạn đánh giá do cán bộ viết." in text
    # no earlier period saved one: the placeholder, and the opening sentence to fill in
    assert (
        "[DỰ THẢO - cần bổ sung mục “Giải pháp khắc phục”: viết trên Cổng thông tin, trang "
        "Nội dung báo cáo]" in text
    )
    assert "Thực hiện Công văn số 1878" not in text
    assert "Thực hiện Công văn số …/… ngày …/…/… của Ban Chỉ đạo 138 tỉnh" in text


def test_a_figure_renamed_keeps_its_files(demo, tmp_path, monkeypatch):
    """A figure's files come from the lineage it is defined with, never from its id."""
    from dataclasses import replace

    from report.figures import FigureBook

    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    original = json.loads(demo["report"].figures.read_text(encoding="utf-8"))["figures"]
    write_json = FigureBook.write_json

    def renamed_first(book, *args, **kwargs):
        book.figures = {f"x{k}x": replace(f, id=f"x{f.id}x") for k, f in book.figures.items()}
        return write_json(book, *args, **kwargs)

    monkeypatch.setattr(FigureBook, "write_json", renamed_first)
    renamed = json.loads(write_report(home, PERIOD).figures.read_text(encoding="utf-8"))
    figures = renamed["figures"]
    assert [f["id"] for f in figures] == [f"x{f['id']}x" for f in original]
    assert [f["sources"] for f in figures] == [f["sources"] for f in original]
    # and the traced figures are most of them: a lineage left out would show as no file
    assert sum(1 for f in figures if f["sources"]) > 0.8 * len(figures)


def test_a_fifth_indicator_in_the_catalogue_is_in_the_report(demo, tmp_path):
    """The indicator sentences are data: a row added to the catalogue's marts is printed."""
    import duckdb

    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "insert into marts.rpt_indicator_values (report_indicator_key, indicator_code, "
            "period_code, area_code, area_level, numerator, denominator, indicator_value, "
            "programme_code, target_value, target_operator, is_demo_target, is_final, is_met, "
            "indicator_label_vi, report_sentence_vi, sort_order) "
            "select 'I5_test:' || period_code || ':' || area_code, 'I5_test', period_code, "
            "area_code, area_level, 3, 4, 0.75, programme_code, 0.5, '>=', false, true, true, "
            "'Tỷ lệ thử nghiệm', null, 5 from marts.rpt_indicator_values "
            "where indicator_code = 'I4_reporters_trained'"
        )
    text = document_text(write_report(home, PERIOD).docx)
    assert "- tỷ lệ thử nghiệm: 75% (3/4; chỉ tiêu: 50%; đạt)." in text
    assert "chống mua bán người (chỉ tiêu: 100%; đạt);" in text  # I4 is no longer the last


def test_the_body_reads_as_a_person_writes_it(demo):
    """Sections 1 and 2: each activity with its unit once ("34.482 lượt phát trên hệ thống
    truyền thanh cơ sở", not "34.482 lượt phát (phát trên hệ thống truyền thanh cơ sở)"), the
    training sessions as "lớp", no count of nothing, no list in brackets inside brackets."""
    body = report_body(demo["report"].docx)
    assert machine_wording(body) == []
    assert re.search(r"\d lượt phát trên hệ thống truyền thanh cơ sở; ", body)
    assert re.search(r"\d buổi tư vấn trực tiếp tại \d+ xã với [\d.]+ lượt người tham dự", body)
    assert re.search(r"tham gia \d+ lớp tập huấn, bồi dưỡng", body)
    assert re.search(r"tin, bài, chương trình tuyên truyền, gồm \d+ tin, bài; \d+ phóng sự", body)


def test_a_period_without_directive_documents_says_so_in_a_sentence(demo, tmp_path):
    """The demo's warehouse without its directive documents: no "0 văn bản", no footnote mark
    pointing at a list of nothing (nor the note in the HTML preview); the missing year before
    is still said."""
    import duckdb

    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("delete from marts.fct_directive_documents")
    files = write_report(home, PERIOD)
    body = report_body(files.docx)
    assert (
        "Trong 6 tháng đầu năm 2022, Sở Thông tin và Truyền thông không ban hành văn bản định "
        "hướng tuyên truyền mới cho các cơ quan báo chí trên địa bàn tỉnh, Phòng Văn hóa và "
        "Thông tin các huyện, thành phố về công tác phòng, chống tội phạm"
    ) in body
    assert "Hệ thống chưa có số liệu cùng kỳ năm 2021 để so sánh." in body
    assert "đã ban hành" not in body and machine_wording(body) == []
    assert not docx.Document(str(files.docx)).element.body.xpath(".//w:footnoteReference")
    assert files.html and 'id="fn1"' not in files.html.read_text(encoding="utf-8")
    figures = json.loads(files.figures.read_text(encoding="utf-8"))["figures"]
    assert {f["id"]: f["value"] for f in figures}["directives.count"] == 0
