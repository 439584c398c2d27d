"""Run `outreach_nightly` once through Airflow, in its embedded form (SQLite metadata, one process).

`airflow dags test` parses the real DAG file and runs every task through Airflow's task runner,
in order, in one process: the same code path as the scheduler's, without a scheduler to start.
Airflow's own files (metadata database, logs) live in `<home>/airflow`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from outreach.home import DAGS_DIR, Home
from outreach.periods import Period
from outreach.settings import settings

DAG_ID = "outreach_nightly"
WRITER_POOL = "duckdb_writer"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RUN_HOUR = time(2, 0)


class AirflowRunFailed(RuntimeError):
    pass


@dataclass
class RunOutcome:
    state: str
    logical_date: datetime
    log_file: Path
    report: Path
    written: list[tuple[str, Path]] = field(default_factory=list)


def written_files(home: Home, period: Period, since: float) -> list[tuple[str, Path]]:
    """What a run wrote for the home province, named for the people who open it: the report
    last; each only if this run wrote it (a PDF only where LibreOffice is installed)."""
    from expectations.checks import data_docs_index
    from report.build import report_paths
    from report.reminders import reminder_file_name

    docx, figures = report_paths(home, period)
    folder = docx.parent
    candidates = [
        ("Data Docs (checks)", data_docs_index(home)),
        ("Reminder list", folder / reminder_file_name(period, None)),
        ("Figures (JSON)", figures),
        ("HTML preview", docx.with_suffix(".html")),
        ("PDF", docx.with_suffix(".pdf")),
        ("Report (Word)", docx),
    ]
    written = [(label, path) for label, path in candidates
               if path.is_file() and path.stat().st_mtime >= since]
    others = sorted(folder.glob("*/bao-cao-*.docx"))
    others = [path for path in others if path.stat().st_mtime >= since]
    if others:
        written.insert(-1, (f"Other provinces ({len(others)})", others[0].parent.parent))
    return written


def airflow_environment(home: Home) -> dict[str, str]:
    """Environment for the embedded Airflow: SQLite metadata, LocalExecutor, files in the home."""
    airflow_home = home.airflow
    airflow_home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        # Airflow starts its own components as `airflow ...`: the one of this environment
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "OUTREACH_HOME": str(home.root),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(airflow_home / "logs"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "OUTREACH_TASK_RETRIES": os.environ.get("OUTREACH_TASK_RETRIES", "0"),
    }


def _airflow(arguments: list[str], env: dict[str, str], log) -> int:
    command = [str(Path(sys.executable).with_name("airflow")), *arguments]
    log.write(f"$ airflow {' '.join(arguments)}\n")
    log.flush()
    return subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                          check=False).returncode


def prepare_airflow(home: Home, log) -> dict[str, str]:
    """Create or upgrade the metadata database and the writers' pool (both idempotent).

    Each `airflow` command costs seconds of start-up, so this is done once per Airflow version
    and home, remembered in `airflow/.prepared`.
    """
    from importlib.metadata import version

    env = airflow_environment(home)
    marker = home.airflow / ".prepared"
    wanted = f"apache-airflow {version('apache-airflow')}\n"
    database = home.airflow / "airflow.db"
    if database.is_file() and marker.is_file() and marker.read_text() == wanted:
        return env
    for arguments in (["db", "migrate"],
                      ["pools", "set", WRITER_POOL, "1",
                       "DuckDB warehouse writers: one at a time"]):
        if _airflow(arguments, env, log) != 0:
            raise AirflowRunFailed(f"`airflow {' '.join(arguments)}` failed; see {log.name}")
    marker.write_text(wanted)
    return env


def logical_date_for(period: Period, now: datetime | None = None) -> datetime:
    """The night the run pretends to be: the first nightly run after every file of the period was
    due (so the report is final), or the last night if that is still to come (a draft)."""
    now = now or datetime.now(LOCAL_TZ)
    closing = datetime.combine(settings().closing_date(period), RUN_HOUR, tzinfo=LOCAL_TZ)
    if closing > now:
        closing = datetime.combine(now.date(), RUN_HOUR, tzinfo=LOCAL_TZ)
        if closing > now:
            closing -= timedelta(days=1)
    return closing


def run_nightly(home: Home, period: Period, drop_folder: Path | None = None) -> RunOutcome:
    """Run outreach_nightly for the period through `airflow dags test`; the report's path."""
    from report.build import report_paths

    logical_date = logical_date_for(period)
    log_file = home.logs / f"airflow-{DAG_ID}-{datetime.now():%Y%m%dT%H%M%S}.log"
    conf = {"period": period.code, "drop_folder": str(drop_folder) if drop_folder else None}
    docx, _ = report_paths(home, period)
    started = datetime.now().timestamp()
    with open(log_file, "w", encoding="utf-8") as log:
        env = prepare_airflow(home, log)
        code = _airflow(["dags", "test", DAG_ID, logical_date.isoformat(),
                         "--conf", json.dumps(conf)], env, log)
    output = log_file.read_text(encoding="utf-8")
    if code != 0 or not docx.is_file() or docx.stat().st_mtime < started:
        tail = "\n".join(output.splitlines()[-40:])
        raise AirflowRunFailed(f"{DAG_ID} failed for {period.code} (exit {code}); "
                               f"full log: {log_file}\n{tail}")
    return RunOutcome("success", logical_date, log_file, docx,
                      written_files(home, period, started))


def serve(home: Home, port: int = 8080) -> int:
    """Airflow's embedded default for people who want to watch it: `airflow standalone` (SQLite,
    LocalExecutor, every component in one terminal, the UI on http://localhost:<port>).

    The DAG is paused at first: unpause it in the UI, or trigger a run with a period. Airflow
    prints the generated admin password, and keeps it in var/airflow/.
    """
    log_file = home.logs / f"airflow-standalone-{datetime.now():%Y%m%dT%H%M%S}.log"
    with open(log_file, "w", encoding="utf-8") as log:
        env = prepare_airflow(home, log)
    env = {**env, "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__HOST": "127.0.0.1",
           "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
           "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/"}
    command = [str(Path(sys.executable).with_name("airflow")), "standalone"]
    return subprocess.run(command, env=env, check=False).returncode
