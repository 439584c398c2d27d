"""The dbt project on a real warehouse: marts, revision rules, completeness, determinism."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from fast_tier import heavy_fixture
from helpers import AS_OF, new_home

from outreach.orchestration import pipeline

MARTS = {
    "fct_media_outputs",
    "fct_reporting_completeness",
    "fct_indicator_values",
    "fct_directive_documents",
    "dim_sources",
    "dim_areas",
    "dim_topics",
    "dim_output_types",
    "dim_indicators",
    "dim_periods",
}


def query(home, sql, params=None):
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_marts_exist(demo):
    tables = {
        name
        for (name,) in query(
            demo["home"],
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    }
    assert tables >= MARTS


def test_the_correction_replaces_the_first_version(demo):
    rows = query(
        demo["home"],
        """
        select distinct file_name, revision_number from marts.fct_media_outputs
        where source_code = 'PVHTT-181' and report_month = date '2022-02-01'""",
    )
    assert rows == [("PVHTT-181_2022-02_r2.csv", 2)]
    (versions,) = query(
        demo["home"],
        """
        select accepted_version_count from marts.fct_reporting_completeness
        where source_code = 'PVHTT-181' and report_month = date '2022-02-01'""",
    )
    assert versions == (2,)


def test_completeness_statuses_of_the_planted_months(demo):
    statuses = dict(
        ((s, f"{m:%Y-%m}"), status)
        for s, m, status in query(
            demo["home"],
            """
        select source_code, report_month, submission_status
        from marts.fct_reporting_completeness
        where report_month between date '2022-01-01' and date '2022-06-01'""",
        )
    )
    assert statuses[("PVHTT-189", "2022-05")] == "missing"
    assert statuses[("PVHTT-186", "2022-06")] == "rejected"
    assert statuses[("TW-VOV", "2022-05")] == "rejected"
    assert statuses[("PVHTT-184", "2022-03")] == "late"
    assert list(statuses.values()).count("on_time") == 116
    (empty,) = query(
        demo["home"],
        """
        select is_empty_report, is_received from marts.fct_reporting_completeness
        where source_code = 'TW-QDND' and report_month = date '2022-02-01'""",
    )
    assert empty == (True, True)


def test_months_after_the_as_of_date_are_not_expected_yet(demo):
    (row,) = query(
        demo["home"],
        """
        select count(*) filter (where is_expected), max(report_month)
        from marts.fct_reporting_completeness where report_month >= date '2022-07-01'""",
    )
    assert row == (0, AS_OF.replace(day=1))


@heavy_fixture(scope="module")
def built_again(demo, tmp_path_factory):
    """The demo's warehouse in a home of its own, published; then, with an analyst holding a
    connection to the published copy, the demo's files ingested again and the whole warehouse
    built again (the home has no earlier build to go by), and published again."""
    home = new_home(tmp_path_factory.mktemp("again") / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)

    def marts():
        return {
            table: query(home, f"select * from marts.{table} order by all")
            for table in sorted(MARTS)
        }

    before = marts()
    pipeline.publish(home)
    reader = duckdb.connect(str(home.published_warehouse), read_only=True)
    try:
        held = [reader.execute("select count(*) from marts.fct_media_outputs").fetchone()]
        pipeline.ingest(home, demo["drop"])  # the same files again: all duplicates or known
        pipeline.build(home, AS_OF)  # writes the working file while the reader reads
        pipeline.publish(home)  # replaces the published file under the reader
        held.append(reader.execute("select count(*) from marts.fct_media_outputs").fetchone())
    finally:
        reader.close()
    with duckdb.connect(str(home.published_warehouse), read_only=True) as fresh:
        published = fresh.execute("select count(*) from marts.fct_media_outputs").fetchone()
    return {"before": before, "after": marts(), "held": held, "published": published}


def test_two_builds_leave_the_marts_identical(built_again):
    assert built_again["after"] == built_again["before"]


def test_a_reader_of_the_published_copy_never_blocks_the_run(built_again):
    before, after = built_again["held"]
    assert after == before
    assert built_again["published"] == before


def test_every_version_is_kept_with_the_one_that_counts(demo):
    rows = query(
        demo["home"],
        """
        select file_name, revision_number, arrival_order, submission_status, is_current,
            superseded_by_submission_id is not null
        from marts.fct_submission_versions
        where source_code = 'PVHTT-181' and report_month = date '2022-02-01'
        order by arrival_order""",
    )
    assert rows == [
        ("PVHTT-181_2022-02.csv", 1, 1, "accepted", False, True),
        ("PVHTT-181_2022-02_r2.csv", 2, 2, "accepted", True, False),
    ]
    (rejected,) = query(
        demo["home"],
        """
        select submission_status, is_current, error_count > 0 from marts.fct_submission_versions
        where file_name = 'PVHTT-186_2022-06.csv'""",
    )
    assert rejected == ("rejected", False, True)


def test_the_unit_tests_run_here_not_in_a_deployments_builds(demo, tmp_path):
    """A deployment's builds leave the unit tests out (they test the SQL on fixtures, not the
    data); they run here, on the demo's warehouse, and every one passes."""
    import json

    from outreach.orchestration.dbt import run_dbt

    built = json.loads((demo["home"].root / "dbt" / "target" / "run_results.json").read_text())
    assert built["args"]["exclude_resource_types"] == ["unit_test"]
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    run_dbt(home, ["test", "--select", "test_type:unit"], as_of=AS_OF)
    ran = json.loads((home.root / "dbt" / "target" / "run_results.json").read_text())["results"]
    units = [result for result in ran if result["unique_id"].startswith("unit_test.")]
    assert len(units) >= 10 and all(result["status"] == "pass" for result in units)
    assert not [result for result in ran if result["unique_id"].split(".")[0] in ("model", "test")]


def test_the_memory_limit_reaches_every_connection_and_dbts(demo, tmp_path, monkeypatch):
    """`OUTREACH_DUCKDB_MEMORY_LIMIT` bounds DuckDB in outreach's own connections and in dbt's
    (through profiles.yml); without it (or empty) DuckDB keeps its default; a value DuckDB
    would refuse stops the build before dbt starts, naming the variable."""
    import pytest

    from outreach.core.warehouse import MEMORY_LIMIT_ENV, connect
    from outreach.orchestration.dbt import run_dbt

    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    show = ["show", "--inline", "select current_setting('memory_limit') as memory_limit"]

    def limits() -> tuple[str, str]:
        with connect(home.warehouse, read_only=True) as con:
            own = con.execute("select current_setting('memory_limit')").fetchone()[0]
        log = run_dbt(home, show, as_of=AS_OF)
        assert log is not None
        lines = log.read_text(encoding="utf-8").splitlines()
        dbts = lines[lines.index(next(line for line in lines if "| memory_limit" in line)) + 2]
        return own, dbts.strip("| ").strip()

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "")  # as a compose file with no value gives it
    default = limits()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "700MB")
    assert limits() == ("667.5 MiB", "667.5 MiB")
    assert default[0] == default[1] != "667.5 MiB"
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match=MEMORY_LIMIT_ENV):
        run_dbt(home, ["build"], as_of=AS_OF)


@pytest.mark.warehouse
def test_a_new_home_starts_from_the_parse_another_home_saved(tmp_path, monkeypatch):
    """With `OUTREACH_DBT_PARSE_CACHE`, the first home's dbt parses the whole project and
    shares its parse; the next new home's first dbt command starts from it. dbt runs in the
    home with the warehouse relative to it, so that both homes' profiles are the same."""
    from outreach.orchestration.dbt import PARSE_CACHE_ENV, run_dbt

    monkeypatch.setenv(PARSE_CACHE_ENV, str(tmp_path / "parses"))
    first, second = new_home(tmp_path / "first"), new_home(tmp_path / "second")
    run_dbt(first, ["ls", "--resource-type", "seed"])
    [shared] = (tmp_path / "parses").iterdir()
    assert shared.name.startswith("partial_parse-") and shared.suffix == ".msgpack"
    run_dbt(second, ["ls", "--resource-type", "seed"])
    first_log, second_log = (
        (home.root / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
        for home in (first, second)
    )
    assert "Unable to do partial parsing because saved manifest not found" in first_log
    assert "Unable to do partial parsing" not in second_log
    assert [path.name for path in (tmp_path / "parses").iterdir()] == [shared.name]
    # without the folder, a new home parses on its own
    monkeypatch.delenv(PARSE_CACHE_ENV)
    alone = new_home(tmp_path / "alone")
    run_dbt(alone, ["ls", "--resource-type", "seed"])
    log = (alone.root / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing because saved manifest not found" in log
