"""Every figure against the same period of the year before, across the 2025 reform.

As a department would try it: the demo's 2025-H1 and 2026-H1 in one inbox, one `outreach run
--period 2026-H1` through Airflow, then `outreach run --period 2026-Q1` (conftest's
`two_years`). Every base, change and percentage in figures.json is recomputed from the accepted
submissions of both periods by SQL that shares nothing with the marts (tests/independent.py), by
the role of the sources: 2025-H1's district offices against 2026-H1's commune offices, the two
provincial outlets against the one that replaced them. The directive files of January and March
2026 are left out of the inbox: the quarter has none (against two a year earlier), the half-year
one (against three).
"""

from __future__ import annotations

import re

import docx
import pytest
from helpers import machine_wording
from independent import check_comparisons

pytestmark = pytest.mark.slow
# the id of a figure's value in another period, or of its change
COMPARED_PART = re.compile(r"\.(same|previous)_period\.")


@pytest.mark.parametrize("period", ["2026-H1", "2026-Q1"])
def test_every_comparison_equals_independent_sql_over_both_periods(two_years, period):
    run = two_years[period]
    checked = check_comparisons(run["figures"]["figures"], run["now"], run["then"])
    assert checked > 100  # every figure of the body: groups, types, topics, indicators, rates


def test_the_report_compares_each_group_across_the_reform(two_years):
    text = two_years["2026-H1"]["text"]
    # the merged outlet against the two it replaced; the commune offices against the district
    # offices, each named
    assert "số liệu cùng kỳ năm 2025 là của Báo Lạng Sơn, Đài Phát thanh và Truyền hình" in text
    assert "số liệu cùng kỳ năm 2025 là của cấp huyện" in text
    assert re.search(
        r"tin, bài, chương trình tuyên truyền, (tăng|giảm) \d+ tin, bài, chương "
        r"trình \((tăng|giảm) \d+,\d%\) so với cùng kỳ năm 2025",
        text,
    )
    # an indicator's change in percentage points, against the value a year earlier
    assert re.search(
        r"(tăng|giảm) \d+,\d điểm phần trăm so với mức [\d,]+% của cùng kỳ năm 2025", text
    )
    # 2025-H1 was less completely reported: the report says so beside the comparison
    assert (
        "nên một phần chênh lệch so với cùng kỳ năm 2025 là do nhận được nhiều báo cáo hơn" in text
    )
    assert "Hệ thống chưa có số liệu cùng kỳ" not in text


def test_a_base_of_zero_gets_no_percentage(two_years):
    """The commune offices post on social media, which the district offices did not."""
    figures = {f["id"]: f for f in two_years["2026-H1"]["figures"]["figures"]}
    new = figures["outputs.commune.mang_xa_hoi.all.same_period.change_percent"]
    assert figures["outputs.commune.mang_xa_hoi.all.same_period.base"]["value"] == 0
    assert new["value"] is None and new["text"] == "mới phát sinh"
    assert re.search(
        r"\d+ tin đăng trên mạng xã hội \(\+\d+; mới phát sinh\)", two_years["2026-H1"]["text"]
    )


def test_figures_json_names_the_files_of_both_periods(two_years):
    payload = two_years["2026-H1"]["figures"]
    figures = {f["id"]: f for f in payload["figures"]}
    months = {key: row["report_month"] for key, row in payload["submissions"].items()}
    total = "outputs.outlet_provincial.media.all"
    current = {months[s] for s in figures[total]["sources"]}
    base = {months[s] for s in figures[f"{total}.same_period.base"]["sources"]}
    change = {months[s] for s in figures[f"{total}.same_period.change"]["sources"]}
    assert current and all(month.startswith("2026-") for month in current)
    assert base and all(month.startswith("2025-") for month in base)
    assert change == current | base
    sources = {
        payload["submissions"][s]["source_code"]
        for s in figures[f"{total}.same_period.base"]["sources"]
    }
    assert sources == {"BAO-LS", "PTTH-LS"}


def test_the_annex_sets_each_table_against_both_periods(two_years):
    text = two_years["2026-H1"]["text"]
    assert "Phụ lục 2. So sánh với cùng kỳ năm 2025 và với 6 tháng cuối năm 2025" in text
    # the inbox has no 2025-H2: that comparison is left out, and said so
    assert "Hệ thống chưa có số liệu 6 tháng cuối năm 2025 để so sánh." in text
    assert "Cùng kỳ năm 2025" in text and "Tăng/giảm" in text
    assert (
        "Biểu đồ 4. Tin, bài, hoạt động tuyên truyền cơ sở và các chỉ tiêu từ 6 tháng cuối "
        "năm 2024 đến 6 tháng đầu năm 2026" in text
    )


def test_the_quarter_is_compared_with_the_same_quarter_a_year_earlier(two_years):
    text = two_years["2026-Q1"]["text"]
    assert "quý I năm 2026" in text
    assert "Phụ lục 2. So sánh với cùng kỳ năm 2025 và với quý IV năm 2025" in text
    assert "số liệu cùng kỳ năm 2025 là của cấp huyện" in text
    assert "từ quý II năm 2024 đến quý I năm 2026" in text
    assert two_years["2026-Q1"]["figures"]["period"] == "2026-Q1"


@pytest.mark.parametrize("period", ["2026-H1", "2026-Q1"])
def test_the_body_reads_as_a_person_writes_it(two_years, period):
    """Sections 1 and 2: no count of nothing, no unit said twice, no word twice in a row."""
    assert machine_wording(two_years[period]["body"]) == []


def test_a_quarter_without_directive_documents_says_so_in_a_sentence(two_years):
    run = two_years["2026-Q1"]
    figures = {f["id"]: f for f in run["figures"]["figures"]}
    before = figures["directives.count.same_period.base"]
    assert figures["directives.count"]["value"] == 0 and before["value"] > 0
    assert (
        "Trong quý I năm 2026, Sở Văn hóa, Thể thao và Du lịch không ban hành văn bản định "
        "hướng tuyên truyền mới cho các cơ quan báo chí trên địa bàn tỉnh, UBND các xã, phường"
    ) in run["body"]
    assert f"Cùng kỳ năm 2025 đã ban hành {before['text']} văn bản." in run["body"]
    assert "ban hành 0" not in run["body"] and "Số văn bản ban hành" not in run["body"]
    # no footnote mark where there is no list of documents to point to
    assert not docx.Document(str(run["docx"])).element.body.xpath(".//w:footnoteReference")
    # the half-year has the one of May: counted, its footnote marked, and compared
    half = two_years["2026-H1"]
    assert re.search(
        r"đã ban hành 1 văn bản định hướng .* Số văn bản ban hành giảm 2 văn bản \(giảm "
        r"66,7%\) so với cùng kỳ năm 2025\.",
        half["body"],
    )
    assert docx.Document(str(half["docx"])).element.body.xpath(".//w:footnoteReference")


def test_a_type_there_was_none_of_is_said_against_the_year_that_had_some(two_years):
    """The merged outlet published no photos (the newspaper did, until June 2025), the commune
    offices made no radio programmes (the district offices did): each is said plainly, with
    the year before, in the body, and listed with its 0 in the annex's comparison table."""
    run = two_years["2026-H1"]
    figures = {f["id"]: f for f in run["figures"]["figures"]}
    for figure, words in [
        ("outputs.outlet_provincial.anh.all", "ảnh"),
        ("outputs.commune.phat_thanh.all", "chương trình phát thanh"),
    ]:
        before = figures[f"{figure}.same_period.base"]
        assert figures[figure]["value"] == 0 and before["value"] > 0
        assert f"không có {words} (cùng kỳ năm 2025: {before['text']})" in run["body"]
        assert f"{figures[figure]['label_vi']}\n0\n{before['text']}\n" in run["text"]
    # a zero the body leaves out is not recorded as printed: every zero of the body's lists
    # is one the year before had some of
    zeros = [
        figure
        for figure in run["figures"]["figures"]
        if figure["id"].startswith("outputs.")
        and figure["value"] == 0
        and figure["part"] == "body"
        and not COMPARED_PART.search(figure["id"])
    ]
    assert zeros and all(
        figures[f"{figure['id']}.same_period.base"]["value"] > 0 for figure in zeros
    ), zeros
