"""Incremental facts: a night adds what arrived (new months, corrections, a month emptied by its
correction) and the tables are then exactly what a full rebuild makes."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime

import duckdb
import pytest
from helpers import AS_OF, PERIOD, new_home, write_csv

from outreach.core.home import SEEDS_DIR
from outreach.generators.sample import generate
from outreach.orchestration import pipeline
from outreach.orchestration.dbt import fingerprint, run_dbt

pytestmark = pytest.mark.slow

INCREMENTAL = ["fct_media_outputs", "fct_output_outliers"]
EMPTIED = ("BAO-LS", "2022-02")  # accepted on the first night, emptied by a correction later


def _tables(home) -> dict[str, list[tuple]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {
            name: con.execute(f"select * from marts.{name} order by all").fetchall()
            for name in INCREMENTAL
        }


def _was_full_refresh(home) -> bool:
    results = json.loads((home.root / "dbt" / "target" / "run_results.json").read_text())
    return bool(results["args"].get("full_refresh"))


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    home = new_home(root / "home")
    generate(PERIOD, root / "all", seed=1)
    first, second = root / "night-1", root / "night-2"
    first.mkdir()
    second.mkdir()
    for path in (root / "all").iterdir():
        early = any(f"_2022-0{month}" in path.name for month in (1, 2, 3))
        shutil.move(path, (first if early and "_r2" not in path.name else second) / path.name)
    # a correction that empties a month loaded on the first night: no rows, only the header
    sent = datetime(2022, 6, 20, 9)
    write_csv(second, f"{EMPTIED[0]}_{EMPTIED[1]}_r2.csv", [], sent_at=sent)
    os.utime(second / f"{EMPTIED[0]}_{EMPTIED[1]}_r2.csv", (sent.timestamp(),) * 2)

    pipeline.pull(home, first)
    pipeline.ingest(home)
    pipeline.build(home, AS_OF)
    first_full = _was_full_refresh(home)
    before = _tables(home)
    pipeline.pull(home, second)
    pipeline.ingest(home)
    pipeline.build(home, AS_OF)
    second_full = _was_full_refresh(home)
    incremental = _tables(home)
    run_dbt(home, ["build", "--full-refresh"], as_of=AS_OF)
    return {
        "home": home,
        "first_full": first_full,
        "second_full": second_full,
        "before": before,
        "incremental": incremental,
        "rebuilt": _tables(home),
    }


def test_the_first_build_is_full_and_the_next_night_incremental(two_nights):
    assert two_nights["first_full"] is True
    assert two_nights["second_full"] is False


@pytest.mark.parametrize("table", INCREMENTAL)
def test_a_night_adds_exactly_what_a_full_rebuild_makes(two_nights, table):
    incremental, rebuilt = two_nights["incremental"][table], two_nights["rebuilt"][table]
    assert len(incremental) > len(two_nights["before"][table])
    assert incremental == rebuilt


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
