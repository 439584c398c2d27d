"""The steps of the nightly run, callable from the DAG, the CLI and tests alike.

Each step opens the warehouse for as short a time as it can; the DAG runs every step that touches
the DuckDB file in a one-slot pool, so there is never more than one writer.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from outreach.home import Home
from outreach.periods import Period


def pull(home: Home, drop: Path | None) -> dict:
    from outreach.pull import pull_folder

    pulled = pull_folder(home, drop) if drop else []
    waiting = sorted(p.name for p in home.inbox.iterdir() if p.is_file()) if home.inbox.is_dir() \
        else []
    return {"pulled": len(pulled), "waiting": len(waiting)}


def ingest(home: Home, inbox: Path | None = None) -> dict:
    from ingest.load import ingest_inbox

    return ingest_inbox(home, inbox).as_dict()


def build(home: Home, as_of: date | None = None) -> Path:
    from outreach.dbt import run_dbt

    return run_dbt(home, ["build"], as_of=as_of)


def check(home: Home, period: Period) -> dict:
    from expectations.checks import run_checks

    return run_checks(home, period)


def publish(home: Home) -> Path:
    """Copy the checked warehouse to the analysts' file, atomically.

    A reader with the previous copy open keeps reading it (the rename does not touch its open
    file); new connections see the new copy. The nightly run never opens the published file, so
    analysts never block it, and it never blocks them.
    """
    import os
    import shutil

    target = home.published_warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    shutil.copy2(home.warehouse, partial)
    os.replace(partial, target)
    return target


def report(home: Home, period: Period):
    from report.build import write_report

    return write_report(home, period)
