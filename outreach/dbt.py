"""Run dbt as a subprocess on the home's warehouse.

A separate process, not dbt's in-process runner: the runner keeps DuckDB file locks after it
returns (dbt-core#11980), and a subprocess gives the warehouse back the moment it exits.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from outreach.home import DBT_PROJECT_DIR, Home

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    pass


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(home: Home, command: list[str], *, as_of: date | None = None) -> Path:
    """Run `dbt <command>` against the home's warehouse; returns the log file. Raises on failure."""
    home.ensure()
    from outreach.settings import settings

    variables = {**settings().dbt_vars(), **({"as_of_date": as_of.isoformat()} if as_of else {})}
    work = home.root / "dbt"
    log_file = home.logs / f"dbt-{command[0]}-{datetime.now():%Y%m%dT%H%M%S%f}.log"
    arguments = [
        dbt_executable(), *command,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", json.dumps(variables), "--no-use-colors",
    ]
    env = {**os.environ, "OUTREACH_WAREHOUSE": str(home.warehouse),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    log.info("running %s", " ".join(arguments[:2]))
    with open(log_file, "w", encoding="utf-8") as output:
        result = subprocess.run(arguments, cwd=DBT_PROJECT_DIR, env=env, stdout=output,
                                stderr=subprocess.STDOUT, check=False)
    lines = log_file.read_text(encoding="utf-8").splitlines()
    summary = next((line for line in reversed(lines) if "Done." in line), "")
    if result.returncode != 0:
        tail = "\n".join(lines[-40:])
        raise DbtFailed(f"dbt {command[0]} failed (exit {result.returncode}); log {log_file}:\n"
                        f"{tail}")
    log.info("dbt %s: %s (log %s)", command[0], summary.strip(), log_file)
    return log_file
