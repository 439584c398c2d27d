"""The national generator: every district office of the 2022 catalogue, files that ingest
accepts against the national registry, the same bytes for the same seed."""

from __future__ import annotations

import csv
from datetime import date

import duckdb
import pytest
from helpers import new_home

from ingest.load import ingest_inbox
from outreach.core.home import resolve_home
from outreach.core.registry import Reference
from outreach.generators.national import CATALOGUE, generate_national, write_national_seeds

# every test here writes or reads the national registry and sample: seconds each
pytestmark = pytest.mark.heavy


def test_registry_has_every_district_and_two_outlets_per_province(tmp_path):
    with open(CATALOGUE, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    districts = {row["district_code"] for row in rows}
    provinces = {row["province_code"] for row in rows}
    sources = write_national_seeds(tmp_path / "seeds")
    kinds = [source.kind for source in sources]
    assert kinds.count("district") == len(districts) == 700  # units with communes in 2022
    assert kinds.count("outlet_provincial") == 2 * len(provinces) + 34 == 160
    assert kinds.count("commune") == 3321  # a commune office per commune after the reform
    reference = Reference.load(tmp_path / "seeds")
    assert len(reference.sources) == len(sources)


def test_generated_files_are_accepted_and_deterministic(tmp_path):
    provinces = {"20", "01"}  # Lạng Sơn and Hà Nội
    first = generate_national(
        [2022], tmp_path / "a", tmp_path / "seeds", provinces=provinces, plant_problems=False
    )
    second = generate_national(
        [2022], tmp_path / "b", tmp_path / "seeds2", provinces=provinces, plant_problems=False
    )
    assert [p.name for p in first.files] == [p.name for p in second.files]
    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in second.files]
    reference = Reference.load(tmp_path / "seeds")
    expected_sources = {
        code
        for code, source in reference.sources.items()
        if source.province_code in provinces
        and source.submits_monthly
        and source.is_active(date(2022, 1, 1))
    }
    assert {p.name.split("_")[0] for p in first.files} == expected_sources
    assert len(first.files) == 12 * len(expected_sources)

    home = new_home(tmp_path / "home")
    summary = ingest_inbox(home, tmp_path / "a", reference=reference, batch_files=50)
    assert summary.rejected == [] and len(summary.accepted) == len(first.files)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        files, rows = con.execute(
            "select count(*), sum(row_count) from raw.submission_manifest where status = 'accepted'"
        ).fetchone()
        loaded = con.execute("select count(*) from raw.submission_rows").fetchone()[0]
    assert files == len(first.files) and rows == loaded > 10 * len(first.files)


def test_planted_problems_at_national_scale(tmp_path):
    provinces = {"20", "01", "79"}
    result = generate_national(
        [2024, 2025], tmp_path / "drop", tmp_path / "seeds", provinces=provinces, seed=4
    )
    kinds = {p.kind for p in result.planted}
    assert {"never_submitted", "late", "correction"} <= kinds
    reference = Reference.load(tmp_path / "seeds")
    names = {p.name for p in result.files}
    for planted in result.planted:
        stem = f"{planted.source_code}_{planted.month}"
        if planted.kind == "never_submitted":
            assert not any(name.startswith(stem) for name in names)
        if planted.kind == "correction":
            assert f"{stem}.csv" in names and f"{stem}_r2.csv" in names
    # district offices stop with June 2025, when districts were abolished, and commune
    # offices start
    month_of = {n: n.split("_")[1][:7] for n in names}
    assert not any(n.startswith("PVHTT-") and month_of[n] > "2025-06" for n in names)
    assert not any(n.startswith("XA-") and month_of[n] < "2025-07" for n in names)
    assert any(n.startswith("XA-") for n in names) and any(n.startswith("BPTTH-") for n in names)
    home = new_home(tmp_path / "home")
    summary = ingest_inbox(home, tmp_path / "drop", reference=reference)
    broken = sorted(p.file_name for p in result.planted if p.kind == "broken_file")
    assert sorted(summary.rejected) == broken
    assert len(summary.accepted) == len(result.files) - len(broken)


def test_the_national_sample_command(tmp_path):
    from click.testing import CliRunner

    from outreach.cli import main

    result = CliRunner().invoke(
        main,
        [
            "sample",
            "--scale",
            "national",
            "--years",
            "2022",
            "--inbox",
            str(tmp_path / "drop"),
            "--home",
            str(tmp_path / "home"),
        ],
    )
    assert result.exit_code == 0, result.output
    files = list((tmp_path / "drop").iterdir())
    assert 9_000 < len(files) < 10_500
    # the registry goes to the home, whose ingest and dbt then read it
    assert (tmp_path / "home" / "registry" / "ref_sources.csv").is_file()
    assert resolve_home(tmp_path / "home").seeds_dir() == tmp_path / "home" / "registry"
    assert "planted: never_submitted" in result.output
    refused = CliRunner().invoke(
        main, ["sample", "--scale", "national", "--inbox", str(tmp_path / "x")]
    )
    assert refused.exit_code != 0 and "--years" in refused.output


@pytest.mark.warehouse
def test_a_registry_begun_after_the_reform_builds(tmp_path):
    """Today's country only, as a deployment begun after the 2025 reform registers it (no
    district, no unit before the reform; the benchmarks' headroom runs it over ten years): it
    ingests and builds, its districts' text columns empty, not read as numbers."""
    from outreach.orchestration import pipeline

    home = new_home(tmp_path / "home")
    generate_national([2026], tmp_path / "drop", home.registry, provinces={"20"}, current_only=True)
    with open(home.registry / "ref_sources.csv", encoding="utf-8", newline="") as handle:
        kinds = {row["source_kind"] for row in csv.DictReader(handle)}
    assert kinds == {"commune", "outlet_provincial", "outlet_central"}
    assert pipeline.ingest(home, tmp_path / "drop")["accepted"]
    pipeline.build(home, date(2026, 11, 15))
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        sources = con.execute(
            "select count(*), count(district_name) from marts.dim_sources "
            "where source_kind = 'commune' and province_code = '20'"
        ).fetchone()
        received = con.execute(
            "select count(*) from marts.fct_reporting_completeness where is_received"
        ).fetchone()
    assert sources[0] > 50 and sources[1] == 0 and received[0] > 500
