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

from outreach.core.home import DBT_PROJECT_DIR, Home

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    pass


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def fingerprint(home: Home) -> str:
    """A digest of what the incremental models were built from: the registry and the dbt
    project's own files. When it changes (a new release, a registry edit), the next build
    rebuilds everything instead of adding to tables made by other rules."""
    import hashlib

    digest = hashlib.sha256()
    files = sorted(home.seeds_dir().glob("*.csv")) + sorted(
        path
        for folder in ("models", "macros", "seeds")
        for path in (DBT_PROJECT_DIR / folder).rglob("*")
        if path.is_file()
    )
    files.append(DBT_PROJECT_DIR / "dbt_project.yml")
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


TIMEOUT_ENV = "OUTREACH_DBT_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 3600.0


def dbt_timeout_seconds() -> float:
    """How long one dbt command may run before it is stopped (`OUTREACH_DBT_TIMEOUT_SECONDS`,
    default an hour): a dbt that hangs fails its task, which is retried and alerts, instead of
    holding the writers' pool every night after."""
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    return float(value) if value else DEFAULT_TIMEOUT_SECONDS


def run_dbt(home: Home, command: list[str], *, as_of: date | None = None) -> Path:
    """Run `dbt <command>` against the home's warehouse; returns the log file. Raises on failure.

    A `build` adds to the incremental models what arrived since the last one, unless the
    registry or the project changed since (then it passes `--full-refresh`).
    """
    home.ensure()
    from outreach.core.settings import settings

    marker = home.root / "dbt" / "built-from.sha256"
    current = fingerprint(home) if command[0] == "build" else None
    if (
        current is not None
        and "--full-refresh" not in command
        and (not marker.is_file() or marker.read_text().strip() != current)
    ):
        log.info("registry or dbt project changed since the last build: full refresh")
        command = [*command, "--full-refresh"]
        # and a fresh parse: dbt's saved parse can keep a resource a release moved to another
        # file (an exposure found twice), which stops the build
        (home.root / "dbt" / "target" / "partial_parse.msgpack").unlink(missing_ok=True)

    variables = {**settings().dbt_vars(), **({"as_of_date": as_of.isoformat()} if as_of else {})}
    work = home.root / "dbt"
    log_file = home.logs / f"dbt-{command[0]}-{datetime.now():%Y%m%dT%H%M%S%f}.log"
    arguments = [
        dbt_executable(),
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        json.dumps(variables),
        "--no-use-colors",
    ]
    env = {
        **os.environ,
        "OUTREACH_WAREHOUSE": str(home.warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # dbt wants seed paths relative to its project (dbt_project.yml reads this)
        "OUTREACH_SEED_PATH": os.path.relpath(home.seeds_dir(), DBT_PROJECT_DIR),
    }
    log.info("running %s", " ".join(arguments[:2]))
    limit = dbt_timeout_seconds()
    with open(log_file, "w", encoding="utf-8") as output:
        try:
            result = subprocess.run(
                arguments,
                cwd=DBT_PROJECT_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=limit,
            )
        except subprocess.TimeoutExpired as exc:
            # subprocess.run has killed dbt: its open transaction is rolled back by DuckDB
            raise DbtFailed(
                f"dbt {command[0]} stopped after {limit:g} s ({TIMEOUT_ENV}); log {log_file}"
            ) from exc
    lines = log_file.read_text(encoding="utf-8").splitlines()
    summary = next((line for line in reversed(lines) if "Done." in line), "")
    if result.returncode != 0:
        tail = "\n".join(lines[-40:])
        raise DbtFailed(
            f"dbt {command[0]} failed (exit {result.returncode}); log {log_file}:\n{tail}"
        )
    if current is not None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(current + "\n")
    log.info("dbt %s: %s (log %s)", command[0], summary.strip(), log_file)
    return log_file
