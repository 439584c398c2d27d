"""Run `outreach_nightly` once through Airflow, in its embedded form (SQLite metadata, one process),
and serve Airflow's embedded default (`serve`, behind `outreach airflow`).

`airflow dags test` parses the real DAG file and runs every task through Airflow's task runner,
in order, in one process: the same code path as the scheduler's, without a scheduler to start.
Airflow's own files (metadata database, logs) live in `<home>/airflow`. Every `airflow` process
either starts is stopped, with everything it started, when `outreach` is (`processes`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from outreach.core.constants import DAG_ID, LOCAL_TZ, WRITER_POOL
from outreach.core.home import DAGS_DIR, Home
from outreach.core.periods import Period
from outreach.core.settings import settings
from outreach.orchestration import processes

# holds airflow_local_settings.py
AIRFLOW_SETTINGS_DIR = Path(__file__).with_name("airflow_config")
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
RUN_HOUR = time(2, 0)
# how long a stopped `outreach run` lets `airflow dags test` end its task before it is killed
RUN_STOP_GRACE_SECONDS = 10.0


# What fills every Airflow log without telling an operator anything, silenced where it comes
# from (docker-compose.yml sets the same): the graph renderer's missing graphviz (outreach
# renders no graph), the OpenLineage notices (outreach emits no lineage events), the execution
# API's per-call lines.
QUIET = {
    "PYTHONWARNINGS": "ignore:Could not import graphviz:UserWarning",
    "AIRFLOW__OPENLINEAGE__NAMESPACE": "outreach",
    "AIRFLOW__LOGGING__NAMESPACE_LEVELS": "cosmos=ERROR airflow.api_fastapi.execution_api=WARNING",
}


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
    written = [
        (label, path)
        for label, path in candidates
        if path.is_file() and path.stat().st_mtime >= since
    ]
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
        "PYTHONPATH": os.pathsep.join(
            [str(AIRFLOW_SETTINGS_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        # dates without a zone (the CLI's, a trigger's) are the DAG's, Vietnam's
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        **QUIET,
        "OUTREACH_TASK_RETRIES": os.environ.get("OUTREACH_TASK_RETRIES", "0"),
    }


def _airflow(arguments: list[str], env: dict[str, str], log) -> int:
    """One `airflow` command, stopped with every process it started (dbt included) when
    `outreach` is stopped (`processes.run`)."""
    log.write(f"$ airflow {' '.join(arguments)}\n")
    log.flush()
    return processes.run(
        [AIRFLOW, *arguments],
        grace=RUN_STOP_GRACE_SECONDS,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


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
    for arguments in (
        ["db", "migrate"],
        ["pools", "set", WRITER_POOL, "1", "DuckDB warehouse writers: one at a time"],
    ):
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
    """Run outreach_nightly for the period through `airflow dags test`; the report's path.

    The run is logged at the moment it runs (so the UI's list and chart of runs stay in order),
    and builds as of the night the period's report is final (`as_of` in its conf). Each task's
    log is written where the UI reads it (`write_task_logs`).
    """
    from report.build import report_paths

    as_of = logical_date_for(period)
    logical_date = datetime.now(LOCAL_TZ).replace(microsecond=0)
    log_file = home.logs / f"airflow-{DAG_ID}-{datetime.now():%Y%m%dT%H%M%S}.log"
    conf = {
        "period": period.code,
        "drop_folder": str(drop_folder) if drop_folder else None,
        "as_of": as_of.date().isoformat(),
    }
    docx, _ = report_paths(home, period)
    started = datetime.now().timestamp()
    with open(log_file, "w", encoding="utf-8") as log:
        env = prepare_airflow(home, log)
        # the tasks' own INFO lines are what the UI shows for each task (`write_task_logs`)
        env = {**env, "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO"}
        code = _airflow(
            ["dags", "test", DAG_ID, logical_date.isoformat(), "--conf", json.dumps(conf)], env, log
        )
    output = log_file.read_text(encoding="utf-8")
    write_task_logs(home, output)
    if code != 0 or not docx.is_file() or docx.stat().st_mtime < started:
        tail = "\n".join(output.splitlines()[-40:])
        raise AirflowRunFailed(
            f"{DAG_ID} failed for {period.code} (exit {code}); full log: {log_file}\n{tail}"
        )
    return RunOutcome("success", logical_date, log_file, docx, written_files(home, period, started))


# `airflow dags test` runs the tasks one after the other in one process and prints their logs
# between these lines, but writes no task log file: the UI would say "Log file not found"
_TASK_MARK = re.compile(r"\[DAG TEST\] (starting|end task) task_id=(\S+) map_index=(-?\d+)")
_RUN_ID = re.compile(r"\[DAG TEST\] running task <TaskInstance: \S+ (\S+) ")
_CONSOLE_LINE = re.compile(
    r"^(?P<timestamp>\d{4}-\d\d-\d\dT[\d:.]+Z) \[(?P<level>\w+)\s*\] (?P<event>.*?)"
    r"(?:\s+\[(?P<logger>[\w.]+)\](?P<rest>(?:\s+\w+=.*)?))?$"
)


def write_task_logs(home: Home, output: str) -> list[Path]:
    """Cut the output of `airflow dags test` into one log per task instance, written where
    Airflow's UI and API read them (`[logging] log_filename_template`'s default layout, as JSON
    lines like the task runner's own)."""
    sections: dict[tuple[str, int], list[str]] = {}
    run_id, current = None, None
    for line in output.splitlines():
        mark = _TASK_MARK.search(line)
        if mark:
            current = (mark[2], int(mark[3])) if mark[1] == "starting" else None
            continue
        if current is None:
            continue
        found = _RUN_ID.search(line)
        if found:
            run_id = found[1]
            continue
        sections.setdefault(current, []).append(line)
    if run_id is None:
        return []
    tries = _try_numbers(home, run_id)
    written = []
    for (task_id, map_index), lines in sections.items():
        folder = (
            home.airflow / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_id}"
        )
        if map_index >= 0:
            folder /= f"map_index={map_index}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"attempt={tries.get((task_id, map_index), 1)}.log"
        path.write_text(
            "".join(
                json.dumps(record, ensure_ascii=False) + "\n"
                for record in _grouped(map(_structured, lines))
            ),
            encoding="utf-8",
        )
        written.append(path)
    return written


def _grouped(records):
    """The records without an "::endgroup::" whose "::group::" line was not printed (the UI
    folds the lines between the two)."""
    depth = 0
    for record in records:
        if record["event"].startswith("::group::"):
            depth += 1
        elif record["event"] == "::endgroup::":
            if depth == 0:
                continue
            depth -= 1
        yield record


def _structured(line: str) -> dict[str, str]:
    """One console line of the task runner as the record its log file holds."""
    parsed = _CONSOLE_LINE.match(line)
    if not parsed:
        return {"event": line}  # a traceback's or a warning's next lines
    record = {"timestamp": parsed["timestamp"], "level": parsed["level"], "event": parsed["event"]}
    if parsed["logger"]:
        record["logger"] = parsed["logger"]
    details = re.sub(r"\s*\bloc=\S+", "", parsed["rest"] or "").strip()
    if details:
        record["event"] += f" {details}"
    return record


def _try_numbers(home: Home, run_id: str) -> dict[tuple[str, int], int]:
    import sqlite3

    database = home.airflow / "airflow.db"
    with closing(sqlite3.connect(database)) as con:
        rows = con.execute(
            "select task_id, map_index, try_number from task_instance "
            "where dag_id = ? and run_id = ?",
            [DAG_ID, run_id],
        ).fetchall()
    return {(task_id, map_index): try_number for task_id, map_index, try_number in rows}


# Airflow's embedded default, component by component as `airflow standalone` starts them, but
# without the log servers: they listen on every interface (Airflow has no setting for their
# address), and on one machine the API server reads the task logs from the logs folder itself
EMBEDDED_COMPONENTS = {
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "api-server": ["api-server"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
# how long the components have to stop by themselves (the scheduler waits for running tasks)
SERVE_STOP_GRACE_SECONDS = 20.0


def embedded_environment(env: dict[str, str], port: int, nightly: bool) -> dict[str, str]:
    """The embedded default's configuration: every server on the loopback, and the scheduler
    creating runs of its own (the nights) only when asked (`nightly`).

    Airflow's Trigger form ticks "Unpause outreach_nightly on trigger" whenever the DAG is paused,
    and no setting changes that. Without `nightly`, unpausing only lets the runs somebody
    triggers start: the scheduler creates none (`[scheduler] use_job_schedule`)."""
    return {
        **env,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        # as `airflow standalone`: its generated admin password, in <home>/airflow/
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(nightly),
        # if a deployment's environment turns the scheduler's health check on
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }


def serve(home: Home, port: int = 8080, nightly: bool = False) -> int:
    """Airflow's embedded default for people who want to watch it (SQLite, LocalExecutor, every
    component in one terminal, the UI on http://127.0.0.1:<port>), until Ctrl+C or SIGTERM
    stops every process it started; the exit code of a component that ended by itself.

    Runs start when somebody triggers one (the UI, the REST API, the portal's button); with
    `nightly`, the scheduler also runs the DAG's nights while the DAG is unpaused.
    """
    import threading
    from time import sleep

    log_file = home.logs / f"airflow-embedded-{datetime.now():%Y%m%dT%H%M%S}.log"
    with open(log_file, "w", encoding="utf-8") as log:
        env = embedded_environment(prepare_airflow(home, log), port, nightly)
        if not (home.airflow / "airflow.cfg").is_file():
            # written once, before the components start: each would otherwise write its own,
            # with its own secrets, and the API server would refuse the scheduler's task tokens
            _airflow(["config", "get-value", "core", "executor"], env, log)
    with processes.supervised(SERVE_STOP_GRACE_SECONDS) as sessions:
        started = {}
        for name, arguments in EMBEDDED_COMPONENTS.items():
            started[name] = sessions.start(
                [AIRFLOW, *arguments],
                # the tasks report their end to the API server: it stops after the scheduler
                last=name == "api-server",
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            threading.Thread(target=_relay, args=(name, started[name].stdout), daemon=True).start()
        ready = False
        while True:
            for name, process in started.items():
                if process.poll() is not None:
                    print(f"outreach: {name} ended (exit {process.returncode}); stopping Airflow")
                    return process.returncode or 1
            if not ready and _answers(f"http://127.0.0.1:{port}/api/v2/monitor/health"):
                ready = True
                print(_ready_banner(home, port, nightly), flush=True)
            sleep(1)


def _relay(name: str, stream) -> None:
    """A component's output on the terminal, each line after its name (as `airflow standalone`)."""
    for line in stream:
        text = line.decode("utf-8", errors="replace").rstrip()
        sys.stdout.write(f"{name:<13} | {text}\n")
        sys.stdout.flush()


def _answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _ready_banner(home: Home, port: int, nightly: bool) -> str:
    passwords = home.airflow / "simple_auth_manager_passwords.json.generated"
    runs = (
        "the nights run at 02:00 while the DAG is unpaused (unpausing runs the last one at once)"
        if nightly
        else "only the runs you trigger run (start with --nightly for the nights)"
    )
    return (
        f"\noutreach: Airflow is ready on http://127.0.0.1:{port} (user admin, password in "
        f"{passwords}); {runs}. Ctrl+C stops every Airflow process.\n"
    )
