"""Every figure against the same period of the year before, across the 2025 reform.

As a department would try it: the demo's 2025-H1 and 2026-H1 in one inbox, one `outreach run
--period 2026-H1` through Airflow, then `outreach run --period 2026-Q1` (conftest's
`two_years`). Every base, change and percentage in figures.json is recomputed from the accepted
submissions of both periods by SQL that shares nothing with the marts (tests/independent.py), by
the role of the sources: 2025-H1's district offices against 2026-H1's commune offices, the two
provincial outlets against the one that replaced them.
"""

from __future__ import annotations

import re

import pytest
from independent import check_comparisons

pytestmark = pytest.mark.slow


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
        r"\d+ tin đăng \(tin đăng mạng xã hội, \+\d+; mới phát sinh\)", two_years["2026-H1"]["text"]
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
