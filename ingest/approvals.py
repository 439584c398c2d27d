"""The periods the department approved: read from the approvals file the portal writes
(`<home>/approvals/approvals.json`), loaded whole into `raw.period_approvals` by the nightly
ingest. The portal never writes the warehouse; dbt reads the raw table.

An approval holds a period's figures as the report the department signed showed them: a file
for one of its months ingested after that report's data (the last publish before the approval)
is kept, and listed as after the approval, but not counted until the department re-opens the
period. The ingest time, not the time a sender's file claims, decides.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime

from ingest.warehouse import connect
from outreach.core.home import Home

log = logging.getLogger(__name__)


def approvals_file(home: Home):
    return home.root / "approvals" / "approvals.json"


def write_approvals(home: Home, approvals: list[dict]) -> None:
    """Replace the approvals file atomically: each {province_code, period_code, approved_at,
    approved_by, counts_files_until} (times in ISO 8601 with their offset): the files ingested
    until counts_files_until are the approved figures'."""
    path = approvals_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{uuid.uuid4().hex}.part")
    partial.write_text(
        json.dumps({"approvals": approvals}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    os.replace(partial, path)


def read_approvals(home: Home) -> list[dict]:
    path = approvals_file(home)
    if not path.is_file():
        return []
    entries = json.loads(path.read_text(encoding="utf-8")).get("approvals", [])
    for entry in entries:
        datetime.fromisoformat(entry["approved_at"])  # a malformed time stops here, loudly
    return entries


def load_approvals(home: Home) -> list[str]:
    """Replace raw.period_approvals with the approvals file; the approvals loaded, as
    `province:period`."""
    entries = read_approvals(home)
    with connect(home.warehouse) as con:
        con.execute("begin transaction")
        con.execute("delete from raw.period_approvals")
        if entries:
            con.executemany(
                "insert into raw.period_approvals (province_code, period_code, approved_at, "
                "approved_by, counts_files_until) values (?, ?, ?, ?, ?)",
                [
                    (
                        entry["province_code"],
                        entry["period_code"],
                        datetime.fromisoformat(entry["approved_at"]),
                        entry["approved_by"],
                        datetime.fromisoformat(
                            entry.get("counts_files_until") or entry["approved_at"]
                        ),
                    )
                    for entry in entries
                ],
            )
        con.execute("commit")
    log.info("period approvals: %d", len(entries))
    return [f"{entry['province_code']}:{entry['period_code']}" for entry in entries]
