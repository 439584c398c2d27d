"""The review of a programme phase ("tổng kết giai đoạn"): `outreach report --period 2021-2025`.

The demo's 2024 and 2025 in a warehouse built the night after 2025's files were due: the phase's
years side by side (2021-2023 with no report in the warehouse say so), each year's figures equal
to independent SQL over that year's submissions, the indicators against the phase's targets, the
2025 reform inside the phase.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date

import pytest
from fast_tier import heavy_fixture
from helpers import document_text, new_home
from independent import expected_role_figures

from outreach.core.periods import parse_period
from outreach.generators.sample import generate
from outreach.orchestration import pipeline

pytestmark = pytest.mark.warehouse

PHASE = parse_period("2021-2025")


@heavy_fixture(scope="module")
def phase(tmp_path_factory):
    root = tmp_path_factory.mktemp("phase")
    home = new_home(root / "home")
    for year in ("2024", "2025"):
        generate(parse_period(year), root / "drop", seed=1)
    pipeline.pull(home, root / "drop")
    pipeline.ingest(home)
    pipeline.build(home, date(2026, 1, 11))
    pipeline.check(home, PHASE)
    files = pipeline.report(home, PHASE, pdf=False)
    payload = json.loads(files.figures.read_text(encoding="utf-8"))
    warehouse = str(home.warehouse)
    running = parse_period("2026-2030")
    pipeline.check(home, running)
    return {
        "running": document_text(pipeline.report(home, running, pdf=False).docx),
        "text": document_text(files.docx),
        "figures": {f["id"]: f for f in payload["figures"]},
        "months": {key: row["report_month"] for key, row in payload["submissions"].items()},
        "years": {
            year: expected_role_figures(warehouse, parse_period(year)) for year in ("2024", "2025")
        },
    }


def test_the_phase_review_names_its_phase_and_says_it_has_no_earlier_one(phase):
    text = phase["text"]
    assert "giai đoạn 2021–2025" in text
    assert text.count("Hệ thống chưa có số liệu giai đoạn 2016–2020 để so sánh.") == 1
    # the reform inside the phase: both kinds of local office, each with its months
    assert "Phòng Văn hóa và Thông tin các huyện, thành phố (tháng 1/2022-6/2025)" in text
    assert "UBND các xã, phường (tháng 7-12/2025)" in text
    assert "Phụ lục 2. Kết quả từng năm giai đoạn 2021–2025" in text
    assert "Ghi chú: từ ngày 01/07/2025 tuyên truyền cơ sở do cấp xã thực hiện" in text


@pytest.mark.parametrize("year", ["2024", "2025"])
def test_each_year_of_the_phase_equals_independent_sql(phase, year):
    expected = phase["years"][year]
    figures = phase["figures"]
    pairs = {
        "items:outlet_central:media:all:all": "outputs.outlet_central.media.all",
        "items:outlet_provincial:media:all:all": "outputs.outlet_provincial.media.all",
        "reporting_rate:all:all:all:all": "completeness.reporting_rate",
        "I1_communes_counselled:all:all:all:all": "indicator.I1_communes_counselled.value",
        "I3_people_reached:all:all:all:all": "indicator.I3_people_reached.value",
    }
    for key, independent in pairs.items():
        figure = figures[f"by_year.{year}.{key}"]
        assert math.isclose(figure["value"], expected[independent], rel_tol=1e-9), figure
    grassroots = sum(
        value
        for name, value in expected.items()
        if name.startswith("outputs.local_office.")
        and name.split(".")[2]
        in ("truyen_thanh_co_so", "xe_luu_dong", "bang_zon", "chieu_phim", "tu_van")
    )
    assert figures[f"by_year.{year}.items:local_office:grassroots:all:all"]["value"] == grassroots
    # the year's figures come from that year's files only
    sources = figures[f"by_year.{year}.items:outlet_central:media:all:all"]["sources"]
    assert sources and all(phase["months"][source].startswith(year) for source in sources)


def test_the_years_without_a_report_say_so_and_the_targets_are_the_phases(phase):
    figures = phase["figures"]
    assert not any(key.startswith(("by_year.2021.", "by_year.2022.")) for key in figures)
    # the programme 2021-2025's targets (30% of key-area communes counselled)
    assert figures["indicator.I1_communes_counselled.target"]["value"] == pytest.approx(0.30)
    whole = figures["by_year.2021-2025.items:outlet_central:media:all:all"]["value"]
    assert whole == sum(
        phase["years"][year]["outputs.outlet_central.media.all"] for year in ("2024", "2025")
    )


def test_a_phase_under_way_is_reported_to_its_date_and_says_so(phase):
    """2026-2030 on 11 January 2026: a draft as of that day, compared with the phase before."""
    text = phase["running"]
    assert "DỰ THẢO - số liệu tính đến 11/01/2026; giai đoạn 2026–2030 chưa kết thúc" in text
    # compared with the phase before: no directive document yet, against the last phase's
    assert re.search(
        r"so với giai đoạn 2021–2025|Giai đoạn 2021–2025 đã ban hành \d+ văn bản", text
    )
