"""A real ingest process killed with SIGKILL mid-run: the next run finishes the work, and the
warehouse and folders end as an uninterrupted run leaves them."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from helpers import PERIOD, new_home

from outreach.generators.sample import generate
from outreach.orchestration import pipeline

INGEST = [
    sys.executable,
    "-c",
    "import sys; from outreach.core.home import Home; from ingest.load import ingest_inbox; "
    "from pathlib import Path; ingest_inbox(Home(Path(sys.argv[1])), batch_files=8)",
]


def state(home):
    """Everything ingest leaves behind, minus the moment it ran."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        tables = {
            "manifest": con.execute(
                "select submission_id, file_name, status, error_count, row_count, stored_path, "
                "error_report_path, received_at from raw.submission_manifest order by all"
            ).fetchall(),
            "rows": con.execute("select * from raw.submission_rows order by all").fetchall(),
            "documents": con.execute(
                "select * from raw.directive_documents order by all"
            ).fetchall(),
            "problems": con.execute(
                "select * from raw.submission_problems order by all"
            ).fetchall(),
        }
    files = sorted(
        (str(p.relative_to(home.root)), p.read_bytes())
        for folder in (home.inbox, home.archive, home.quarantine)
        for p in folder.rglob("*")
        if p.is_file()
    )
    return tables, files


def archived(home) -> int:
    return sum(1 for _ in home.archive.iterdir()) if home.archive.exists() else 0


@pytest.mark.heavy  # a demo period ingested twice, by processes it kills
def test_killed_ingest_is_finished_by_the_next_run(tmp_path):
    drop = tmp_path / "drop"
    generate(PERIOD, drop, seed=3)

    reference_home = new_home(tmp_path / "uninterrupted")
    pipeline.pull(reference_home, drop)
    pipeline.ingest(reference_home)

    home = new_home(tmp_path / "killed")
    pipeline.pull(home, drop)
    rng = random.Random(7)
    kills = 0
    for target in (5, 30, 60, 90):
        process = subprocess.Popen(
            [*INGEST, str(home.root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        while archived(home) < target and process.poll() is None:
            time.sleep(0.005)
        # somewhere in the next batch: checking its files, committing it or moving them
        time.sleep(rng.uniform(0, 0.05))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills >= 3, "ingest finished before it could be killed: the test proved nothing"
    assert any(home.inbox.iterdir())  # work was left for the next run

    pipeline.ingest(home)
    assert state(home) == state(reference_home)
    assert not (home.archive / "duplicates").exists()
