"""The periods people report on today: the 2025 reform (communes instead of districts, the merged
provincial outlet, the Sở Văn hóa, Thể thao và Du lịch) and the programme 2026-2030.

The areas come from the packages and are checked against each other; the registry carries the
reform as validity dates; the report of a period after the reform, and of the year across it, is
made from real files by the real steps, and every figure equals independent SQL."""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, date, datetime

import duckdb
import pytest
from click.testing import CliRunner
from fast_tier import heavy_fixture
from helpers import document_text, new_home, write_csv
from independent import COMPARED, check_comparisons, expected_figures, expected_role_figures

from ingest.load import inspect_file
from outreach.cli import main
from outreach.core.home import SEEDS_DIR
from outreach.core.periods import parse_period
from outreach.core.registry import Reference
from outreach.core.settings import reports_for_night
from outreach.generators import areas as area_seeds
from outreach.generators.sample import generate
from report.build import issuer_on, load_config

ROW = ["05/09/2025", "Khác", "Truyền thanh cơ sở", "3", "", "", "", "", ""]


def _read(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- 1. areas from maintained packages ----------------------------------------------------------


@pytest.fixture(scope="module")
def built_areas():
    return area_seeds.build_areas("20")


def test_the_areas_command_reproduces_the_committed_seeds(tmp_path):
    result = CliRunner().invoke(main, ["areas", "--province", "20", "--check"])
    assert result.exit_code == 0, result.output
    assert "200 communes until 2025-06-30, 65 from 2025-07-01" in result.output


def test_the_packages_agree_on_34_provinces_and_3321_communes():
    counts = area_seeds.national_counts()
    for package in ("vietnam-provinces", "vietnamadminunits"):
        assert len(counts[package]) == 34, package
        assert sum(counts[package].values()) == 3321, package
    assert counts["vietnam-provinces"] == counts["vietnamadminunits"]
    assert counts["vietnam-provinces"]["20"] == 65


def test_every_new_province_has_its_predecessors_and_no_other(built_areas):
    old_to_new = {row.old_province_code: row.new_province_code for row in built_areas.provinces}
    assert len(old_to_new) == 63 and len(set(old_to_new.values())) == 34
    for new, olds in area_seeds.predecessors_by_province().items():
        assert olds == {old for old, successor in old_to_new.items() if successor == new}, new
    assert old_to_new["02"] == "08"  # Hà Giang joined Tuyên Quang
    assert old_to_new["20"] == "20"  # Lạng Sơn unchanged


def test_every_new_commune_of_lang_son_has_predecessors_in_it(built_areas):
    after = {unit.commune_code for unit in built_areas.units if not unit.valid_to}
    before = {unit.commune_code for unit in built_areas.units if unit.valid_to}
    assert (len(before), len(after)) == (200, 65)
    preceded = {row.new_commune_code for row in built_areas.communes}
    assert preceded == after
    assert {row.old_province_code for row in built_areas.communes} == {"20"}
    # each old commune has exactly one default successor; those split say so
    defaults: dict[str, int] = {}
    for row in built_areas.communes:
        defaults[row.old_commune_code] = (
            defaults.get(row.old_commune_code, 0) + row.is_default_successor
        )
    assert set(defaults.values()) == {1}
    assert any(row.is_split for row in built_areas.communes)


def test_disagreements_are_recorded_not_hidden(built_areas):
    found = {(d.kind, d.code) for d in built_areas.disagreements}
    no_successor = {code for kind, code in found if kind == "no_successor"}
    before = {unit.commune_code for unit in built_areas.units if unit.valid_to}
    succeeded = {row.old_commune_code for row in built_areas.communes}
    assert no_successor == before - succeeded and len(no_successor) == 6
    assert ("commune_code_differs", "06004") in found  # Xã Quốc Khánh: 06004 or 06016
    with open(area_seeds.DISAGREEMENTS, encoding="utf-8", newline="") as handle:
        committed = {(row["kind"], row["code"]) for row in csv.DictReader(handle)}
    assert committed == found


# --- 2. the registry through the reform ---------------------------------------------------------


def test_the_registry_changes_on_the_days_of_the_reform():
    sources = {row["source_code"]: row for row in _read("ref_sources")}
    districts = [row for row in sources.values() if row["source_kind"] == "district"]
    assert len(districts) == 11 and {row["valid_to"] for row in districts} == {"2025-06-30"}
    offices = [row for row in sources.values() if row["source_kind"] == "commune"]
    units = {row["commune_code"] for row in _read("ref_admin_units") if not row["valid_to"]}
    assert {row["commune_code"] for row in offices} == units and len(offices) == 65
    assert all(row["source_code"] == f"XA-{row['commune_code']}" for row in offices)
    assert {row["valid_from"] for row in offices} == {"2025-07-01"}
    assert sources["XA-06040"]["source_name"] == "Phòng Văn hóa - Xã hội xã Thất Khê"
    assert sources["BPTTH-LS"]["predecessor_codes"] == "BAO-LS|PTTH-LS"
    assert (sources["BAO-LS"]["valid_to"], sources["PTTH-LS"]["valid_to"]) == (
        "2025-06-30",
        "2025-06-30",
    )
    assert (sources["STTTT"]["valid_to"], sources["SVHTTDL"]["valid_from"]) == (
        "2025-02-28",
        "2025-03-01",
    )


@pytest.mark.parametrize(
    "name, words",
    [
        ("BAO-LS_2025-08.csv", ["từ ngày 01/01/2022 đến ngày 30/06/2025", "BPTTH-LS_2025-08"]),
        ("PVHTT-180_2025-07.csv", ["đến ngày 30/06/2025"]),
        ("XA-06040_2025-06.csv", ["từ ngày 01/07/2025"]),
        ("BPTTH-LS_2025-06.csv", ["từ ngày 01/07/2025"]),
    ],
)
def test_a_file_outside_its_sources_dates_is_refused_with_the_dates(
    tmp_path, reference, name, words
):
    path = write_csv(tmp_path, name, [ROW], sent_at=datetime(2025, 12, 1, tzinfo=UTC))
    inspection = inspect_file(path, reference)
    message = " ".join(p.message_vi for p in inspection.validated.problems)
    assert [p.code for p in inspection.validated.problems] == ["source_inactive"]
    assert all(word in message for word in words), message


# --- 3. commune offices' files ------------------------------------------------------------------


def _commune_file(tmp_path, commune_cell: str, output_type: str = "Tư vấn"):
    row = [
        "05/09/2025",
        "Phòng, chống mua bán người",
        output_type,
        "1",
        commune_cell,
        "40",
        "",
        "",
        "",
    ]
    return write_csv(
        tmp_path, "XA-06040_2025-09.csv", [row], sent_at=datetime(2025, 10, 3, tzinfo=UTC)
    )


@pytest.mark.parametrize("cell", ["", "06040", "Thất Khê", "xa that khe"])
def test_a_commune_office_counsels_in_its_own_commune(tmp_path, reference, cell):
    inspection = inspect_file(_commune_file(tmp_path, cell), reference)
    assert inspection.validated.is_accepted, inspection.validated.problems
    assert inspection.validated.records[0]["commune_code"] == "06040"


def test_counselling_in_another_commune_is_refused(tmp_path, reference):
    inspection = inspect_file(_commune_file(tmp_path, "06016"), reference)
    (problem,) = inspection.validated.problems
    assert problem.code == "bad_value" and "06016 (Xã Quốc Khánh) là xã khác" in problem.message_vi


def test_old_codes_name_old_communes_and_new_codes_new_ones(reference):
    """06040 was Xã Đại Đồng of Tràng Định until the reform, and is Xã Thất Khê after it."""
    district = reference.sources["PVHTT-180"]
    assert [c.name for c in reference.find_communes("06040", district, date(2025, 6, 1))] == [
        "Xã Đại Đồng"
    ]
    office = reference.sources["XA-06040"]
    assert [c.name for c in reference.find_communes("06040", office, date(2025, 7, 1))] == [
        "Xã Thất Khê"
    ]


def test_key_areas_move_to_the_new_communes_with_their_populations_added():
    rows = _read("ref_key_area_communes")
    before = {
        row["commune_code"]: int(row["at_risk_population"]) for row in rows if row["valid_to"]
    }
    after = [row for row in rows if not row["valid_to"]]
    assert after and all(
        row["valid_from"] == "2025-07-01" and row["is_demo_value"] == "true" for row in after
    )
    successor = {
        row["old_commune_code"]: row["new_commune_code"]
        for row in _read("ref_commune_succession")
        if row["is_default_successor"] == "true"
    }
    for row in after:
        olds = row["derived_from"].split("|")
        assert all(successor[old] == row["commune_code"] for old in olds)
        assert int(row["at_risk_population"]) == sum(before[old] for old in olds)
    carried = {old for row in after for old in row["derived_from"].split("|")}
    assert carried == {code for code in before if code in successor}


# --- 4. the programme 2026-2030 ------------------------------------------------------------------


def test_the_programme_2026_2030_has_the_four_indicators_with_demo_targets():
    rows = [row for row in _read("ref_indicators") if row["programme_code"] == "CT-2026-2030"]
    assert len(rows) == 4 and {row["is_demo_value"] for row in rows} == {"true"}
    assert {(row["valid_from"], row["valid_to"]) for row in rows} == {("2026-01-01", "2030-12-31")}
    assert "33/QĐ-TTg" in rows[0]["programme_label_vi"]


# --- 5. wording by date -------------------------------------------------------------------------


def test_the_issuer_is_the_body_of_the_reports_date(tmp_path):
    home = new_home(tmp_path / "home")
    before = load_config(home, on=date(2025, 2, 28))
    after = load_config(home, on=date(2025, 3, 1))
    assert (before["issuing_body"], before["document_symbol"]) == (
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "BC-STTTT",
    )
    assert (after["issuing_body"], after["document_symbol"]) == (
        "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
        "BC-SVHTTDL",
    )
    assert after["place"] == before["place"] == "Lạng Sơn"
    # an older home copy without [[issuer]] tables is read as it is
    assert issuer_on({"issuing_body": "X"}, date(2026, 1, 1)) == {"issuing_body": "X"}


def _run(home, period, drop, as_of):
    from outreach.orchestration import pipeline

    pipeline.pull(home, drop)
    pipeline.ingest(home)
    pipeline.build(home, as_of)
    pipeline.check(home, period)
    pipeline.publish(home)
    return pipeline.report(home, period, pdf=False)


@heavy_fixture(scope="module")
def after_reform(tmp_path_factory):
    root = tmp_path_factory.mktemp("h2026")
    home = new_home(root / "home")
    period = parse_period("2026-H1")
    sample = generate(period, root / "drop", seed=1)
    files = _run(home, period, root / "drop", date(2026, 7, 11))
    return {
        "home": home,
        "period": period,
        "files": files,
        "sample": sample,
        "text": document_text(files.docx),
        "figures": json.loads(files.figures.read_text(encoding="utf-8")),
    }


@heavy_fixture(scope="module")
def across_reform(tmp_path_factory):
    root = tmp_path_factory.mktemp("y2025")
    home = new_home(root / "home")
    period = parse_period("2025")
    generate(period, root / "drop", seed=1)
    files = _run(home, period, root / "drop", date(2026, 1, 11))
    return {
        "home": home,
        "period": period,
        "files": files,
        "text": document_text(files.docx),
        "figures": json.loads(files.figures.read_text(encoding="utf-8")),
    }


def _assert_figures_are_independent(run, seeds_dir=SEEDS_DIR, skip=()):
    """Every figure the report prints, and (where the warehouse has the year before) every
    comparison, equal to independent SQL."""
    warehouse = str(run["home"].warehouse)
    expected = expected_figures(warehouse, run["period"], seeds_dir)
    compared = [f for f in run["figures"]["figures"] if COMPARED.match(f["id"])]
    if compared:
        period = run["period"]
        now = expected_role_figures(warehouse, period, seeds_dir)
        checked = sum(
            check_comparisons(
                compared, now, expected_role_figures(warehouse, other, seeds_dir), kind
            )
            for kind, other in (("same_period", period.base), ("previous_period", period.previous))
            if any(f".{kind}." in figure["id"] for figure in compared)
        )
        assert checked == len(compared)
    for figure in run["figures"]["figures"]:
        if figure["id"].startswith(skip) or COMPARED.match(figure["id"]):
            continue
        if figure["id"] not in expected:
            assert figure["id"].startswith(
                ("outputs.", "outlet_month.", "district_output.", "local_output.")
            ), figure
            want = 0
        else:
            want = expected[figure["id"]]
        assert math.isclose(figure["value"] or 0, want or 0, rel_tol=1e-9), (figure, want)


def test_a_report_after_the_reform_is_one_a_department_could_sign(after_reform):
    text = after_reform["text"]
    assert "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH" in text and "BC-SVHTTDL" in text
    assert "Thông tin và Truyền thông" not in text
    assert "Phòng Văn hóa và Thông tin" not in text and "huyện" not in text.split("PHỤ LỤC")[0]
    assert "- UBND các xã, phường: đã tuyên truyền" in text
    assert "- Báo và Phát thanh, Truyền hình Lạng Sơn: đã đăng tải" in text
    assert "Báo Lạng Sơn" not in text
    assert "Phụ lục 3. Hoạt động tuyên truyền của các xã, phường" in text
    assert "Xã Thất Khê" in text  # the commune annex
    # the four indicators with the programme's targets, marked as the demo's
    for code in (
        "I1_communes_counselled",
        "I2_monthly_posting",
        "I3_people_reached",
        "I4_reporters_trained",
    ):
        assert f"indicator.{code}.target" in {f["id"] for f in after_reform["figures"]["figures"]}
    assert text.count("(chỉ tiêu mẫu, Sở cần xác nhận)") == 4
    assert "Chưa có chỉ tiêu nào đạt" not in text and "chưa có chỉ tiêu cho kỳ này" not in text


def test_every_figure_after_the_reform_equals_independent_sql(after_reform):
    _assert_figures_are_independent(after_reform)


def test_the_planted_problems_after_the_reform_fall_on_its_sources(after_reform):
    planted = {(p.kind, p.source_code) for p in after_reform["sample"].planted}
    assert ("no_trafficking_item", "BPTTH-LS") in planted
    kinds = {kind for kind, source in planted if source.startswith("XA-")}
    assert kinds == {
        "never_submitted",
        "late",
        "correction",
        "invalid_rows",
        "no_grassroots_activity",
        "outlier",
        "film_screening_without_people",
        "counselling_over_population",
    }
    with duckdb.connect(str(after_reform["home"].warehouse), read_only=True) as con:
        flagged = {
            row[0]
            for row in con.execute(
                "select distinct check_name from dq.flags where period_code = '2026-H1'"
            ).fetchall()
        }
    assert {
        "expected_submission_received",
        "submission_on_time",
        "monthly_trafficking_posting",
        "monthly_grassroots_posting",
        "validation_rule",
        "outlier",
    } <= flagged


# --- 6. across the boundary ---------------------------------------------------------------------


def test_the_year_across_the_reform_shows_both_sides(across_reform):
    text = across_reform["text"]
    assert "Phòng Văn hóa và Thông tin các huyện, thành phố (tháng 1-6/2025): đã đôn đốc" in text
    assert "UBND các xã, phường (tháng 7-12/2025): đã tuyên truyền" in text
    assert (
        "Báo Lạng Sơn, Đài Phát thanh và Truyền hình Lạng Sơn (tháng 1-6/2025); Báo và Phát "
        "thanh, Truyền hình Lạng Sơn (tháng 7-12/2025)"
    ) in text
    assert (
        "Sở Thông tin và Truyền thông tỉnh Lạng Sơn và Sở Văn hóa, Thể thao và Du lịch đã "
        "ban hành" in text
    )
    assert "Phụ lục 3. Hoạt động tuyên truyền của các huyện, thành phố và các xã, phường" in text


def test_the_year_across_the_reform_counts_nothing_twice(across_reform):
    figures = {f["id"]: f["value"] for f in across_reform["figures"]["figures"]}
    # one list of key areas: the new communes, with the old one that went to none
    key_areas = [row for row in _read("ref_key_area_communes") if not row["valid_to"]]
    assert figures["indicator.I1_communes_counselled.denominator"] == len(key_areas) + 1
    populations = sum(
        int(row["at_risk_population"]) for row in _read("ref_key_area_communes") if row["valid_to"]
    )
    assert figures["indicator.I3_people_reached.denominator"] == populations
    # the merged outlet's reporters are its predecessors': counted once
    reporters = {
        row["source_code"]: int(row["reporters_on_beat"] or 0) for row in _read("ref_sources")
    }
    central = sum(value for code, value in reporters.items() if code.startswith("TW-"))
    assert figures["indicator.I4_reporters_trained.denominator"] == central + reporters["BPTTH-LS"]
    # 12 months of the two old outlets' half and the merged one's: 6 × 2 + 6
    assert figures["indicator.I2_monthly_posting.denominator"] == 18
    rates = [value for key, value in figures.items() if key.endswith("_rate")]
    assert rates and all(0 <= value <= 1 for value in rates)


def test_every_figure_of_the_year_equals_independent_sql(across_reform):
    _assert_figures_are_independent(across_reform)


# --- 7. demo -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["2025-H2", "2026-H2"])
def test_the_demo_writes_the_registry_of_its_period(tmp_path, reference, code):
    """(2026-H2 is under way: only the months whose files have been sent by now.)"""
    result = generate(parse_period(code), tmp_path, seed=1)
    sources = {
        path.name.split("_")[0] for path in result.files if not path.name.startswith("VANBAN_")
    }
    assert "BPTTH-LS" in sources and not {"BAO-LS", "PTTH-LS"} & sources
    assert len([s for s in sources if s.startswith("XA-")]) == 65
    assert not [s for s in sources if s.startswith("PVHTT-")]
    assert {
        path.name.split("_")[1] for path in result.files if path.name.startswith("VANBAN_")
    } == {"SVHTTDL"}
    rejected = {
        path.name
        for path in result.files
        if not inspect_file(path, reference).validated.is_accepted
    }
    # the planted corrupt workbook and file of invalid rows, when their months have been sent
    assert rejected == {
        p.file_name for p in result.planted if p.kind in ("corrupt_file", "invalid_rows")
    }


# --- 8. the nightly run in 2026 -----------------------------------------------------------------


@pytest.mark.parametrize(
    "night, reports",
    [
        # the drafts of the quarter, the half-year and the year under way
        (date(2026, 12, 2), ["2026-Q4", "2026-H2", "2026"]),
        # their final reports, the night after December's files were all due
        (date(2027, 1, 11), ["2026-Q4", "2026-H2", "2026"]),
        (date(2026, 7, 2), ["2026-Q2", "2026-H1", "2026"]),
    ],
)
def test_the_nightly_run_reports_on_the_periods_of_its_night(night, reports):
    assert [period.code for period, _ in reports_for_night(night)] == reports


def test_reference_loads_the_registry_of_both_sides():
    reference = Reference.load()
    assert reference.sources["XA-06040"].commune_code == "06040"
    assert reference.sources["BPTTH-LS"].predecessor_codes == ("BAO-LS", "PTTH-LS")


# --- the national aggregate across the reform ----------------------------------------------------


@heavy_fixture(scope="module")
def national(tmp_path_factory):
    """Lạng Sơn, Hà Giang and Tuyên Quang, which took Hà Giang in on 1 July 2025."""
    from outreach.generators.national import generate_national
    from outreach.orchestration import pipeline

    root = tmp_path_factory.mktemp("national")
    home = new_home(root / "home")
    provinces = {"20", "02", "08"}
    generate_national(
        [2025, 2026],
        root / "drop",
        home.registry,
        provinces=provinces,
        seed=5,
        plant_problems=False,
    )
    # a registry of those provinces only (the national one registers the whole country)
    rows = [row for row in _registry_rows(home) if row["province_code"] in provinces]
    # Lạng Sơn's commune offices sent nothing in 2026: a group of its report with no file
    silent = [
        row["source_code"]
        for row in rows
        if row["province_code"] == "20" and row["source_kind"] == "commune"
    ]
    for code in silent:
        for path in (root / "drop").glob(f"{code}_2026-*"):
            path.unlink()
    with open(home.registry / "ref_sources.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    pipeline.ingest(home, root / "drop")
    pipeline.build(home, date(2026, 7, 11))
    runner = CliRunner()
    reports = {}
    for code in ("2025", "2026-H1"):
        pipeline.check(home, parse_period(code))
        result = runner.invoke(
            main,
            [
                "report",
                "--period",
                code,
                "--province",
                "toan-quoc",
                "--no-pdf",
                "--home",
                str(home.root),
            ],
        )
        assert result.exit_code == 0, result.output
        folder = home.report_dir(code) / "toan-quoc"
        payload = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
        reports[code] = {
            "figures": {f["id"]: f["value"] for f in payload["figures"]},
            "payload": payload,
            "text": document_text(folder / f"bao-cao-{code}.docx"),
        }
    return {
        "home": home,
        "reports": reports,
        "silent": silent,
        "sources": {
            code: row for code, row in ((r["source_code"], r) for r in _registry_rows(home))
        },
    }


def test_a_group_that_sent_nothing_says_so(national):
    """Lạng Sơn's 2026-H1: its commune offices sent no file; its outlets did."""
    home = national["home"]
    result = CliRunner().invoke(
        main,
        ["report", "--period", "2026-H1", "--province", "20", "--no-pdf", "--home", str(home.root)],
    )
    assert result.exit_code == 0, result.output
    # the home's own province: its report folder is the period's
    text = document_text(home.report_dir("2026-H1") / "bao-cao-2026-H1.docx")
    assert len(national["silent"]) == 65
    assert (
        "- UBND các xã, phường: chưa nhận được báo cáo tháng nào của 65 đơn vị phải báo "
        "cáo." in text
    )
    assert "UBND các xã, phường: đã tuyên truyền" not in text
    assert "- Báo và Phát thanh, Truyền hình Lạng Sơn: đã đăng tải" in text


def _registry_rows(home):
    with open(home.registry / "ref_sources.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _due_source_months(sources, provinces, months):
    return sum(
        1
        for row in sources.values()
        for month in months
        if row["province_code"] in provinces
        and row["submits_monthly"] == "true"
        and row["valid_from"][:7] <= month
        and (not row["valid_to"] or row["valid_to"][:7] >= month)
    )


def test_the_national_aggregate_uses_the_34_provinces_across_the_reform(national):
    figures = national["reports"]["2025"]["figures"]
    provinces = {key.split(".")[2] for key in figures if key.startswith("rates.province.")}
    assert provinces == {"20", "08"}  # Hà Giang's months go to Tuyên Quang
    months = [f"2025-{month:02d}" for month in range(1, 13)]
    assert figures["rates.province.08.expected"] == _due_source_months(
        national["sources"], {"02", "08"}, months
    )
    assert figures["completeness.expected"] == _due_source_months(
        national["sources"], {"02", "08", "20"}, months
    )
    assert "Tỉnh Tuyên Quang" in national["reports"]["2025"]["text"]
    assert "BỘ VĂN HÓA, THỂ THAO VÀ DU LỊCH" in national["reports"]["2025"]["text"]


def test_the_countrys_completeness_chart_has_a_row_per_province_of_the_period(
    national, monkeypatch
):
    """A row for each report area of the year 2025: Hà Giang's offices count in Tuyên Quang,
    which it merged into, as in the completeness table; none for each source."""
    from outreach.core.scope import resolve_scope
    from report import charts
    from report.build import write_report

    rows, drawn = [], charts.completeness_matrix
    monkeypatch.setattr(
        charts,
        "completeness_matrix",
        lambda names, *rest: rows.append(names) or drawn(names, *rest),
    )
    home = national["home"]
    write_report(home, parse_period("2025"), scope=resolve_scope(home, "toan-quoc"))
    assert [sorted(names) for names in rows] == [["Tỉnh Lạng Sơn", "Tỉnh Tuyên Quang"]]


def test_the_national_aggregate_after_the_reform_counts_commune_offices(national):
    figures = national["reports"]["2026-H1"]["figures"]
    months = [f"2026-{month:02d}" for month in range(1, 7)]
    assert figures["completeness.expected"] == _due_source_months(
        national["sources"], {"08", "20"}, months
    )
    offices = sum(
        1
        for row in national["sources"].values()
        if row["source_kind"] == "commune" and row["province_code"] in ("08", "20")
    )
    assert figures["rates.source_kind.commune.expected"] == offices * 6
    assert "UBND các xã, phường" in national["reports"]["2026-H1"]["text"]


def test_every_figure_of_the_national_aggregate_after_the_reform_equals_independent_sql(national):
    """The country's figures over the registry's sources, computed without the marts (the
    country's own total row, `rates.country.*`, is the completeness figures again)."""
    run = {
        "home": national["home"],
        "period": parse_period("2026-H1"),
        "figures": national["reports"]["2026-H1"]["payload"],
    }
    _assert_figures_are_independent(run, national["home"].registry, skip=("rates.country.",))


MEDIA_TYPES = ("tin_bai", "phong_su", "anh", "phat_thanh", "truyen_hinh", "mang_xa_hoi")


def _outlet_items(home, sources, provinces, first: str, last: str) -> int:
    """Media items of the provincial outlets of `provinces` in those months, from the winning
    accepted files (independent of the marts)."""
    codes = [
        code
        for code, row in sources.items()
        if row["source_kind"] == "outlet_provincial" and row["province_code"] in provinces
    ]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(
            """
            with winners as (
                select * from raw.submission_manifest
                where status = 'accepted' and file_kind = 'monthly'
                qualify row_number() over (
                    partition by source_code, report_month
                    order by revision desc, received_at desc) = 1)
            select coalesce(sum(r.quantity), 0) from raw.submission_rows r
            join winners w using (submission_id)
            where w.report_month between ? and ? and list_contains(?, w.source_code)
                and list_contains(?, r.output_type_code)""",
            [date.fromisoformat(first), date.fromisoformat(last), codes, list(MEDIA_TYPES)],
        ).fetchone()[0]


def test_a_merged_province_is_compared_with_the_provinces_that_formed_it(national):
    """Tuyên Quang's 2026-H1 (BPTTH-08) against 2025-H1's outlets of Tuyên Quang and of Hà
    Giang, which joined it; the country's against every province's."""
    home, sources = national["home"], national["sources"]
    result = CliRunner().invoke(
        main,
        ["report", "--period", "2026-H1", "--province", "08", "--no-pdf", "--home", str(home.root)],
    )
    assert result.exit_code == 0, result.output
    folder = home.report_dir("2026-H1") / "tinh-08"
    figures = {
        f["id"]: f["value"]
        for f in json.loads((folder / "figures.json").read_text(encoding="utf-8"))["figures"]
    }
    key = "outputs.outlet_provincial.media.all"
    merged = _outlet_items(home, sources, {"02", "08"}, "2025-01-01", "2025-06-01")
    assert figures[f"{key}.same_period.base"] == merged
    assert merged > _outlet_items(home, sources, {"08"}, "2025-01-01", "2025-06-01")
    assert figures[key] == _outlet_items(home, sources, {"08"}, "2026-01-01", "2026-06-01")
    text = document_text(folder / "bao-cao-2026-H1.docx")
    assert "so với cùng kỳ năm 2025" in text and "Báo Hà Giang" in text
    country = national["reports"]["2026-H1"]["figures"]
    assert country[f"{key}.same_period.base"] == _outlet_items(
        home, sources, {"02", "08", "20"}, "2025-01-01", "2025-06-01"
    )
