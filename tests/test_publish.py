"""Write-audit-publish: analysts read the published copy while the nightly DAG runs through
Airflow; they are never locked out, never see half-built tables, and see the new data only once
the checked warehouse is published. A run whose checks break leaves the published copy alone."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime

import duckdb
import pytest
from click.testing import CliRunner
from fast_tier import heavy_fixture
from helpers import PERIOD

from outreach.cli import main
from outreach.generators.sample import generate

pytestmark = pytest.mark.slow

QUERY = """select (select count(*) from marts.fct_media_outputs),
                  (select count(*) from marts.fct_reporting_completeness where is_received)"""


def run(home, drop) -> None:
    result = CliRunner().invoke(
        main, ["run", "--period", PERIOD.code, "--inbox", str(drop), "--home", str(home)]
    )
    assert result.exit_code == 0, result.output


def task_times(home, task_id: str) -> tuple[float, float]:
    """When the task last started and ended."""
    with sqlite3.connect(home / "airflow" / "airflow.db") as con:
        start, end = con.execute(
            "select start_date, end_date from task_instance "
            "where task_id = ? order by start_date desc limit 1",
            [task_id],
        ).fetchone()
    return datetime.fromisoformat(start).timestamp(), datetime.fromisoformat(end).timestamp()


FRESH_READER = """
import json, sys, time, duckdb
path, query = sys.argv[1], sys.argv[2]
while True:
    try:
        with duckdb.connect(path, read_only=True) as con:
            value = list(con.execute(query).fetchone())
        print(json.dumps({"t": time.time(), "value": value}), flush=True)
    except Exception as exc:
        print(json.dumps({"t": time.time(), "error": repr(exc)}), flush=True)
    time.sleep(0.2)
"""


class HeldReader(threading.Thread):
    """An analyst who keeps one connection open all along."""

    def __init__(self, path) -> None:
        super().__init__(daemon=True)
        self.path, self.seen, self.errors = path, [], []
        self.stop = threading.Event()

    def run(self) -> None:
        held = duckdb.connect(str(self.path), read_only=True)
        try:
            while not self.stop.is_set():
                try:
                    self.seen.append(held.execute(QUERY).fetchone())
                except Exception as exc:  # any error at all is what the test is about
                    self.errors.append(repr(exc))
                time.sleep(0.2)
        finally:
            held.close()


@heavy_fixture(scope="module")
def two_nights(first_quarter):
    """A first night with only January to March (shared with the incremental tests), then a
    night through Airflow with every month, with an analyst holding a connection to the
    published copy and another opening one per query during it."""
    night = first_quarter()
    home, drop = night["home"].root, night["all"]
    root = home.parent
    published = home / "warehouse" / "published" / "outreach.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        old = con.execute(QUERY).fetchone()

    held = HeldReader(published)
    held.start()
    # analysts who open a new connection for each query: another process, as DuckDB shares one
    # database instance between the connections of a process
    fresh = subprocess.Popen(
        [sys.executable, "-c", FRESH_READER, str(published), QUERY],
        stdout=subprocess.PIPE,
        text=True,
    )
    started = time.time()
    run(home, drop)  # the next night: every month is there
    time.sleep(2)
    fresh.terminate()
    lines = fresh.communicate(timeout=30)[0].splitlines()
    held.stop.set()
    held.join(30)
    with duckdb.connect(str(published), read_only=True) as con:
        new = con.execute(QUERY).fetchone()
    return {
        "root": root,
        "home": home,
        "published": published,
        "old": old,
        "new": new,
        "started": started,
        "held": held,
        "observations": [json.loads(line) for line in lines],
        "publish": task_times(home, "publish"),
    }


def test_a_reader_during_a_nightly_run_sees_old_then_new_data_never_an_error(two_nights):
    held, observations = two_nights["held"], two_nights["observations"]
    old, new = two_nights["old"], two_nights["new"]
    assert held.errors == [] and [o for o in observations if "error" in o] == []
    assert new[0] > old[0]
    seen = [(o["t"], tuple(o["value"])) for o in observations]
    assert {value for _, value in seen} == {old, new}  # nothing half-built, ever
    publish_started, publish_ended = two_nights["publish"]
    assert two_nights["started"] < publish_started
    assert publish_started <= min(t for t, value in seen if value == new) <= publish_ended + 5
    assert sum(1 for t, _ in seen if t < publish_started) > 10
    assert held.seen and set(held.seen) == {old}  # an open connection keeps its copy


def test_a_run_whose_checks_break_leaves_the_published_copy_in_place(two_nights):
    # the third night on the same home, once the readers' test has what it needs
    home, published = two_nights["home"], two_nights["published"]
    before = published.read_bytes()
    shutil.rmtree(home / "gx")
    (home / "gx").write_text("not a folder: Great Expectations cannot open its project here")
    more = two_nights["root"] / "more"
    generate(PERIOD, more, seed=2)  # other files, so that a publish would change the copy
    result = CliRunner().invoke(
        main, ["run", "--period", PERIOD.code, "--inbox", str(more), "--home", str(home)]
    )
    assert result.exit_code != 0 and "failed" in result.output
    with sqlite3.connect(home / "airflow" / "airflow.db") as con:
        latest = "select run_id from dag_run order by start_date desc limit 1"
        query = f"select task_id, state from task_instance where run_id = ({latest})"
        states = dict(con.execute(query).fetchall())
    assert states["check"] == "failed" and states["publish"] in ("upstream_failed", None)
    assert published.read_bytes() == before
