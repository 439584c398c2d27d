"""The steps of the nightly run, callable from the DAG, the CLI and tests alike.

Each step opens the warehouse for as short a time as it can; the DAG runs every step that touches
the DuckDB file in a one-slot pool, so there is never more than one writer.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from outreach.home import Home
from outreach.periods import Period


def pull(home: Home, drop: Path | None = None) -> dict:
    """Pull every source that delivers somewhere (the registry says where), and the drop folder.

    A source that is down is retried and reported in `failed`; the others are pulled anyway.
    """
    from outreach.connectors import Delivery, deliveries_from_registry, pull_all

    deliveries = deliveries_from_registry()
    if drop is not None and drop.resolve() != home.inbox.resolve():
        deliveries.append(Delivery("drop folder", "folder", str(drop.resolve())))
    outcomes = pull_all(home, deliveries)
    waiting = [p for p in home.inbox.iterdir() if p.is_file() and not p.name.startswith(".")]
    return {"pulled": sum(len(o.pulled) for o in outcomes), "waiting": len(waiting),
            "failed": {o.source_code: o.error or o.file_errors for o in outcomes if o.failed}}


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


def report(home: Home, period: Period, *, pdf: bool | None = None):
    """The .docx, figures.json, an HTML preview, and a PDF if LibreOffice is installed."""
    from report.build import write_report

    return write_report(home, period, pdf=pdf)


def remind(home: Home, period: Period, month: date | None = None) -> dict:
    """Write the reminder list (who to chase, with a message ready to send) as a CSV.

    Returns its path, its length, and an HTML version with a subject for the e-mail notifier.
    """
    from report.build import load_config
    from report.reminders import (
        format_reminders,
        reminder_file_name,
        reminders,
        reminders_html,
        write_reminders_csv,
    )

    sender = load_config(home)["issuing_body_name"]
    rows = reminders(home, period, month, sender=sender)
    path = write_reminders_csv(rows, home.report_dir(period.code)
                               / reminder_file_name(period, month))
    scope = f"tháng {month:%m/%Y}" if month else period.label_vi
    subject = f"[outreach] {len(rows)} trường hợp cần nhắc, {scope}"
    return {"count": len(rows), "csv": str(path), "subject": subject,
            "text": format_reminders(rows),
            "html": reminders_html(rows, f"Danh sách cần nhắc, {scope}")}
