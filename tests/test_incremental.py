"""Incremental facts and the night's selection: a night adds what arrived (new months,
corrections, a month emptied by its correction), builds only what that reaches, and every table
of the marts is then exactly what a full rebuild makes; a night with nothing new, on a day past no
month end or due date, runs no dbt and its tables are still those of a full rebuild."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import date, datetime, timedelta

import duckdb
import pytest
from fast_tier import heavy_fixture
from helpers import AS_OF, PERIOD, document_text, new_home, was_full_refresh, write_csv

from outreach.core.home import SEEDS_DIR, Home
from outreach.core.numbers import format_date_long
from outreach.core.settings import settings
from outreach.core.warehouse import warehouse_as_of
from outreach.orchestration import pipeline
from outreach.orchestration.dbt import fingerprint, run_dbt

pytestmark = pytest.mark.slow

INCREMENTAL = [
    "fct_media_outputs",
    "fct_output_outliers",
    "rpt_output_lineage",
]
EMPTIED = ("BAO-LS", "2022-02")  # accepted on the first night, emptied by a correction later
CORRECTED = ("BAO-LS", "2022-05")  # emptied on a third night: its periods only are recomputed
# the models incremental by period, each with its key, which the third night's check marks
# (no model or check reads these keys)
BY_PERIOD = {
    "fct_period_measures": "period_measure_key",
    "rpt_period_comparisons": "period_comparison_key",
    "fct_reporting_rates": "reporting_rate_key",
    "fct_source_group_periods": "source_group_period_key",
    "rpt_source_groups": "report_source_group_key",
}
MARK = "#marked"


def _tables(home) -> dict[str, list[tuple]]:
    """Every table of the marts (facts, dimensions, the report tables), sorted."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        names = [
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' "
                "order by table_name"
            ).fetchall()
        ]
        return {
            name: con.execute(f"select * from marts.{name} order by all").fetchall()
            for name in names
        }


def _ran(home) -> set[str]:
    """The nodes the last dbt build ran (resource type and name)."""
    results = json.loads((home.root / "dbt" / "target" / "run_results.json").read_text())
    return {".".join(result["unique_id"].split(".")[::2]) for result in results["results"]}


def _as_of(home) -> date:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return warehouse_as_of(con)


def _marked(home, table: str, key: str, period: str) -> tuple[int, int]:
    """How many of a period's rows in a table carry the mark, of how many."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(
            f"select count(*) filter (where {key} like '%{MARK}'), count(*) from marts.{table} "
            "where period_code = ?",
            [period],
        ).fetchone()


@heavy_fixture(scope="module")
def two_nights(first_quarter):
    """The first quarter's night (shared with the published copy's tests), then a second night
    with the rest and a correction that empties a month the first night loaded."""
    night = first_quarter()
    home = night["home"]
    root = home.root.parent
    second = night["rest"]
    # a correction that empties a month loaded on the first night: no rows, only the header
    sent = datetime(2022, 6, 20, 9)
    write_csv(second, f"{EMPTIED[0]}_{EMPTIED[1]}_r2.csv", [], sent_at=sent)
    os.utime(second / f"{EMPTIED[0]}_{EMPTIED[1]}_r2.csv", (sent.timestamp(),) * 2)

    first_full = night["full"]
    # the same night again, right after the first build: nothing new
    first_rerun_log = night["again"]
    before = _tables(home)
    pipeline.pull(home, second)
    pipeline.ingest(home)
    second_log = pipeline.build(home, AS_OF)
    second_full = was_full_refresh(home)
    second_ran = _ran(home)
    incremental = _tables(home)
    # the same night again: nothing new, the same date
    rerun_log = pipeline.build(home, AS_OF)
    # the next day with no new file: the date passes no month end or due date
    next_day = AS_OF + timedelta(days=1)
    next_day_log = pipeline.build(home, next_day)
    next_day_as_of = _as_of(home)
    pipeline.check(home, PERIOD)
    next_day_report = document_text(pipeline.report(home, PERIOD, pdf=False).docx)
    # the first day after that on which it passes one: what the date reaches
    calendar = settings().calendar
    moved = next_day
    while calendar.as_of_key(moved) == calendar.as_of_key(AS_OF):
        moved += timedelta(days=1)
    pipeline.build(home, moved)
    moved_ran = _ran(home)
    moved_tables = _tables(home)
    # the full rebuilds to compare with make the models only: their data tests, which a full
    # build would run again, change no table (a third of a build's time)
    run_dbt(home, ["run", "--full-refresh"], as_of=moved)
    moved_rebuilt = _tables(home)
    # the tables of a full rebuild as of the next day: those of the night, and of the next day
    run_dbt(home, ["run", "--full-refresh"], as_of=next_day)
    rebuilt = _tables(home)
    # a night with one correction of May: the models incremental by period recompute only the
    # periods May falls in (and the comparisons that read them). Marked rows show which were.
    # On a copy: the other tests read this home as the full rebuild left it.
    corrected = Home(root / "corrected")
    shutil.copytree(home.root, corrected.root, symlinks=True)
    with duckdb.connect(str(corrected.warehouse)) as con:
        for table, key in BY_PERIOD.items():
            con.execute(
                f"update marts.{table} set {key} = {key} || '{MARK}' "
                "where period_code in ('2022-Q1', '2022-Q2')"
            )
    third = root / "night-3"
    third.mkdir()
    write_csv(third, f"{CORRECTED[0]}_{CORRECTED[1]}_r9.csv", [], sent_at=datetime(2022, 7, 12))
    pipeline.pull(corrected, third)
    pipeline.ingest(corrected)
    pipeline.build(corrected, next_day)
    marked = {
        (table, period): _marked(corrected, table, key, period)
        for table, key in BY_PERIOD.items()
        for period in ("2022-Q1", "2022-Q2")
    }
    corrected_night = _tables(corrected)
    run_dbt(corrected, ["run", "--full-refresh"], as_of=next_day)
    return {
        "home": home,
        "first_full": first_full,
        "first_rerun_log": first_rerun_log,
        "second_full": second_full,
        "second_log": second_log,
        "second_ran": second_ran,
        "rerun_log": rerun_log,
        "next_day": next_day,
        "next_day_log": next_day_log,
        "next_day_as_of": next_day_as_of,
        "next_day_report": next_day_report,
        "moved": moved,
        "moved_ran": moved_ran,
        "moved_tables": moved_tables,
        "moved_rebuilt": moved_rebuilt,
        "before": before,
        "incremental": incremental,
        "rebuilt": rebuilt,
        "marked": marked,
        "corrected_night": corrected_night,
        "corrected_rebuilt": _tables(corrected),
    }


def test_the_first_build_is_full_and_the_next_night_incremental(two_nights):
    assert two_nights["first_full"] is True
    assert two_nights["second_full"] is False


@pytest.mark.parametrize("table", INCREMENTAL)
def test_a_night_adds_to_the_incremental_facts(two_nights, table):
    assert len(two_nights["incremental"][table]) > len(two_nights["before"][table])


def test_every_table_after_a_night_is_what_a_full_rebuild_makes(two_nights):
    """The rebuild is as of the next day: the night's tables are also that day's (no dbt ran
    then)."""
    incremental, rebuilt = two_nights["incremental"], two_nights["rebuilt"]
    assert set(incremental) == set(rebuilt) and len(rebuilt) > 20
    assert [name for name in rebuilt if incremental[name] != rebuilt[name]] == []


def test_a_night_builds_only_what_its_rows_reach(two_nights):
    ran = two_nights["second_ran"]
    assert {"model.fct_media_outputs", "model.fct_reporting_completeness"} <= ran
    # what the night's rows do not reach, and what does not change with data
    assert not {name for name in ran if name.startswith(("seed.", "unit_test."))}
    assert "model.dim_topics" not in ran  # the registry's topics: no new row reaches them
    assert "model.stg_submissions__output_rows" not in ran  # a view: reads the new rows as is
    # but the data tests of that view run on them
    assert any(name.startswith("test.") and "stg_submissions__output_rows" in name for name in ran)


def test_a_night_with_nothing_new_runs_no_dbt(two_nights):
    assert two_nights["first_rerun_log"] is None  # the first build named every raw table
    assert two_nights["second_log"] is not None
    assert two_nights["rerun_log"] is None


def test_the_next_day_runs_no_dbt_and_its_tables_are_a_full_rebuilds_of_that_day(two_nights):
    """12 July 2022: June's files were due on the 10th, July is not over: no table reads a
    difference. The warehouse is recorded as of that day, and its tables are what a full
    rebuild as of that day makes."""
    assert two_nights["next_day_log"] is None
    assert two_nights["next_day_as_of"] == two_nights["next_day"]
    # the report made that night is dated that night
    assert f"Lạng Sơn, {format_date_long(two_nights['next_day'])}" in two_nights["next_day_report"]
    assert two_nights["moved"] == date(2022, 8, 1)  # July ended


def test_a_day_past_a_month_end_rebuilds_what_the_date_reaches_and_matches_a_full_rebuild(
    two_nights,
):
    ran = two_nights["moved_ran"]
    assert {"model.int_expected_reports_listed", "model.fct_reporting_completeness"} <= ran
    assert "model.fct_media_outputs" not in ran
    moved, rebuilt = two_nights["moved_tables"], two_nights["moved_rebuilt"]
    assert moved != two_nights["rebuilt"]  # July is now expected
    assert [name for name in rebuilt if moved[name] != rebuilt[name]] == []


def test_a_month_emptied_by_its_correction_loses_its_rows(two_nights):
    source, month = EMPTIED
    with duckdb.connect(str(two_nights["home"].warehouse), read_only=True) as con:
        rows = con.execute(
            "select count(*) from marts.fct_media_outputs "
            "where source_code = ? and strftime(report_month, '%Y-%m') = ?",
            [source, month],
        ).fetchone()[0]
    before = [
        row
        for row in two_nights["before"]["fct_media_outputs"]
        if row[1] == source and row[4].strftime("%Y-%m") == month
    ]
    assert before and rows == 0


def test_a_night_recomputes_only_the_periods_its_months_fall_in(two_nights):
    """A correction of May 2022: the second quarter (and the half-year, the year, the phase)
    is recomputed, its marked rows gone; the first quarter's rows are those of the build
    before, marks and all: no month of it changed."""
    marked = two_nights["marked"]
    for table in BY_PERIOD:
        first_marked, first_rows = marked[(table, "2022-Q1")]
        second_marked, second_rows = marked[(table, "2022-Q2")]
        assert first_rows > 0 and first_marked == first_rows, table
        assert second_rows > 0 and second_marked == 0, table
    # and, the marks taken off, every table is what a full rebuild after the correction makes
    night, rebuilt = two_nights["corrected_night"], two_nights["corrected_rebuilt"]
    unmarked = {
        name: Counter(
            repr(
                tuple(
                    value.removesuffix(MARK) if isinstance(value, str) else value for value in row
                )
            )
            for row in rows
        )
        for name, rows in night.items()
    }
    assert rebuilt != two_nights["rebuilt"]  # May's correction changed the figures
    assert [name for name in rebuilt if unmarked[name] != Counter(map(repr, rebuilt[name]))] == []


def test_a_registry_change_forces_a_full_rebuild(tmp_path):
    home = new_home(tmp_path / "home")
    bundled = fingerprint(home)
    home.registry.mkdir()
    for seed in SEEDS_DIR.glob("*.csv"):
        shutil.copy(seed, home.registry / seed.name)
    assert fingerprint(home) == bundled  # the same registry, moved into the home
    with open(home.registry / "ref_sources.csv", "a", encoding="utf-8") as handle:
        handle.write("BAO-X,Báo X,outlet_provincial,20,,2022-01-01,,true,1,,,,true,inbox,,\n")
    assert fingerprint(home) != bundled


def test_a_dbt_that_runs_too_long_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    from outreach.orchestration.dbt import DbtFailed

    home = new_home(tmp_path / "home")
    monkeypatch.setenv("OUTREACH_DBT_TIMEOUT_SECONDS", "0.5")
    with pytest.raises(DbtFailed, match=r"dbt build stopped after 0.5 s"):
        run_dbt(home, ["build"], as_of=AS_OF)


def test_the_night_compares_its_date_with_the_one_the_tables_were_last_built_as_of(
    two_nights, tmp_path
):
    """A data engineer's build by hand: of other models, it records no date; of the models
    that read the date, as of another month, it records that date, and the next night builds
    them again as of its own (its key is the last night's, not the hand build's)."""
    home = Home(tmp_path / "home")
    shutil.copytree(two_nights["home"].root, home.root, symlinks=True)
    next_day = two_nights["next_day"]
    assert _as_of(home) == next_day
    run_dbt(home, ["build", "--select", "fct_media_outputs"], as_of=date(2022, 9, 20))
    assert _as_of(home) == next_day
    run_dbt(home, ["build", "--select", "tag:as_of_date"], as_of=date(2022, 9, 20))
    assert _as_of(home) == date(2022, 9, 20)
    assert pipeline.build(home, next_day + timedelta(days=1)) is not None
    assert "model.fct_reporting_completeness" in _ran(home)
    assert _as_of(home) == next_day + timedelta(days=1)
    rebuilt = two_nights["rebuilt"]  # a full rebuild as of next_day: the same key
    tables = _tables(home)
    assert [name for name in rebuilt if tables[name] != rebuilt[name]] == []
