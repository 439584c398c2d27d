"""Wall time and memory of the warehouse's `dbt build` inside Airflow, three ways, vs dbt alone.

    cd /work/main && .venv/bin/python bench/dbt_in_airflow.py [--keep] [--timeout SECONDS]

Builds the 2022-H1 demo warehouse (sample pulled and ingested) in a temporary folder, then runs
the same `dbt build` (seeds, models, data and unit tests, as_of_date 2022-07-11 like the nightly
run for 2022-H1) on a fresh copy of it for each row:

- dbt alone: `outreach.orchestration.dbt.run_dbt(home, ["build"])`, one dbt subprocess, no
  Airflow (the floor);
- one task: a DAG whose single @task calls run_dbt (what `outreach_nightly`'s build step does);
- Cosmos LOCAL: a DbtDag, one task (one dbt invocation) per seed/model and per model's tests;
- Cosmos WATCHER: a DbtDag whose producer task runs `dbt build` once while one sensor per node
  waits for its node; once as Cosmos renders it, once with every root sensor put downstream of
  the producer (bench-only: `dags test` runs ready tasks one at a time in no set order, so a
  sensor run before the producer waits for it until --timeout).

Each DAG is generated into its own dags folder and run by `airflow dags test` on its own
throwaway AIRFLOW_HOME (SQLite, env-var config); `airflow db migrate` runs once, untimed, and its
database is copied into each home. A time includes the DAG parse (for Cosmos a `dbt ls`), and the
tasks run serially in one process. Memory is the peak summed RSS of the process tree (0.1 s
samples). The work folder is removed at the end unless --keep is given or a row failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from string import Template

import duckdb
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from outreach.core.home import DBT_PROJECT_DIR, Home  # noqa: E402
from outreach.core.periods import parse_period  # noqa: E402
from outreach.generators.sample import generate  # noqa: E402
from outreach.orchestration import pipeline  # noqa: E402
from outreach.orchestration.dbt import run_dbt  # noqa: E402

AS_OF = date(2022, 7, 11)
LOGICAL_DATE = "2022-07-11T02:00:00+07:00"
BIN = Path(sys.executable).parent

ONE_TASK_DAG = Template("""
import pendulum
from airflow.sdk import dag, task

@dag(dag_id="$dag_id", schedule=None, start_date=pendulum.datetime(2022, 1, 1), catchup=False)
def bench():
    @task
    def build():
        from datetime import date
        from pathlib import Path
        from outreach.orchestration.dbt import run_dbt
        from outreach.core.home import Home
        run_dbt(Home(Path("$home")), ["build"], as_of=date.fromisoformat("$as_of"))
    build()

bench()
""")

COSMOS_DAG = Template("""
import pendulum
from cosmos import DbtDag, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode

bench = DbtDag(  # a module-level name: the DagBag only finds DAGs it can see in globals()
    dag_id="$dag_id", schedule=None, start_date=pendulum.datetime(2022, 1, 1), catchup=False,
    # dbt_vars and env_vars serve both the parse-time `dbt ls` and every task's dbt command
    project_config=ProjectConfig("$project", dbt_vars={"as_of_date": "$as_of"},
                                 env_vars={"OUTREACH_WAREHOUSE": "$warehouse"}),
    profile_config=ProfileConfig(profile_name="outreach", target_name="local",
                                 profiles_yml_filepath="$project/profiles.yml"),
    execution_config=ExecutionConfig(execution_mode=ExecutionMode.$mode,
                                     dbt_executable_path="$dbt"),
    # relationships tests have two parents: run each once, after both, as `dbt build` does
    render_config=RenderConfig(should_detach_multiple_parents_tests=True),
    operator_args={"install_deps": False},
)
if $wait_for_producer:  # bench-only: every root sensor starts after the producer, not with it
    producer = bench.get_task("dbt_producer_watcher")
    for t in bench.tasks:
        if t is not producer and not t.upstream_task_ids:  # models reading only sources
            producer >> t
        if t.trigger_rule == "always":
            t.trigger_rule = "all_success"
""")

MODES = [  # (row label, DAG template, Cosmos execution mode, root sensors wait for producer)
    ("one @task running dbt build (like outreach_nightly)", ONE_TASK_DAG, "", False),
    ("Cosmos DbtDag, ExecutionMode.LOCAL", COSMOS_DAG, "LOCAL", False),
    ("Cosmos DbtDag, ExecutionMode.WATCHER (as rendered)", COSMOS_DAG, "WATCHER", False),
    (
        "Cosmos DbtDag, ExecutionMode.WATCHER, root sensors wait for producer",
        COSMOS_DAG,
        "WATCHER",
        True,
    ),
]


def measure(
    action: Callable[..., object], *args, include_self: bool = False, **kwargs
) -> tuple[object, float, float]:
    """Run action(*args, **kwargs): its result, wall seconds, peak summed RSS (MB) of children
    (and of this process, with include_self)."""
    me, peak, done = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            total = me.memory_info().rss if include_self else 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # it may have just exited
                    total += child.memory_info().rss
            peak[0] = max(peak[0], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        result = action(*args, **kwargs)
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return result, seconds, peak[0] / 2**20


def fresh_home(base: Home, folder: Path) -> Home:
    home = Home(folder / "home").ensure()
    shutil.copy(base.warehouse, home.warehouse)
    return home


def marts_rows(home: Home) -> int:
    """Rows over all marts tables: the same number means the same warehouse was built."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        return sum(
            con.execute(f'select count(*) from marts."{name}"').fetchone()[0] for (name,) in tables
        )


def airflow_env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AIRFLOW_HOME": str(folder / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{folder / 'airflow' / 'airflow.db'}",
        "AIRFLOW__COSMOS__CACHE_DIR": str(folder / "cosmos-cache"),  # cold, as on a new box
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def airflow(arguments: list[str], env: dict[str, str], log: Path, timeout: float) -> int | None:
    """Exit code of `airflow <arguments>`, or None if it was killed after `timeout` seconds."""
    with open(log, "a", encoding="utf-8") as output:
        process = subprocess.Popen(
            [str(BIN / "airflow"), *arguments],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only what it started
            process.wait()
            return None


def task_states(folder: Path, dag_id: str) -> str:
    with sqlite3.connect(folder / "airflow" / "airflow.db") as con:
        rows = con.execute(
            "select coalesce(state, 'not started'), count(*) from task_instance "
            "where dag_id = ? group by 1 order by 2 desc",
            (dag_id,),
        ).fetchall()
        producer = con.execute(
            "select coalesce(state, 'not started') from task_instance "
            "where dag_id = ? and task_id = 'dbt_producer_watcher'",
            (dag_id,),
        ).fetchone()
    states = ", ".join(f"{n} {state}" for state, n in rows)
    return f"{sum(n for _, n in rows)} Airflow tasks ({states})" + (
        f", producer {producer[0]}" if producer else ""
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", type=Path, help="write the lines for bench/summary.py here")
    parser.add_argument(
        "--timeout",
        type=float,
        default=150,
        help="seconds after which a `dags test` counts as hung (default 150)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dbt-in-airflow-"))
    print(f"work folder: {work}", file=sys.stderr)
    base = Home(work / "base" / "home").ensure()
    with contextlib.redirect_stdout(sys.stderr):  # stdout is for the table only
        generate(parse_period("2022-H1"), work / "base" / "drop")
        pipeline.pull(base, work / "base" / "drop")
        pipeline.ingest(base)
    migrated = work / "migrated"
    if airflow(["db", "migrate"], airflow_env(migrated), work / "migrate.log", 600) != 0:
        sys.exit(f"airflow db migrate failed, see {work / 'migrate.log'}")

    floor_home = fresh_home(base, work / "floor")
    _, floor, floor_mb = measure(run_dbt, floor_home, ["build"], as_of=AS_OF)
    expected = marts_rows(floor_home)
    rows = [("dbt alone (no Airflow)", floor, floor_mb, "1 dbt subprocess")]
    failed = False
    for number, (label, template, mode, wait) in enumerate(MODES, 1):
        dag_id = f"bench_{number}_{mode.lower() or 'one_task'}"
        folder = work / dag_id
        home = fresh_home(base, folder)
        (folder / "dags").mkdir()
        (folder / "airflow").mkdir()
        shutil.copy(migrated / "airflow" / "airflow.db", folder / "airflow" / "airflow.db")
        (folder / "dags" / f"{dag_id}.py").write_text(
            template.substitute(
                dag_id=dag_id,
                home=home.root,
                as_of=AS_OF.isoformat(),
                project=DBT_PROJECT_DIR,
                warehouse=home.warehouse,
                mode=mode,
                dbt=BIN / "dbt",
                wait_for_producer=wait,
            )
        )
        log = folder / "dags-test.log"
        code, seconds, peak_mb = measure(
            airflow, ["dags", "test", dag_id, LOGICAL_DATE], airflow_env(folder), log, args.timeout
        )
        notes = task_states(folder, dag_id)
        if code != 0 or "failed" in notes:
            failed = True
            outcome = (
                f"no result: killed after {args.timeout:.0f} s"
                if code is None
                else f"FAILED (exit {code})"
            )
            rows.append((label, None, peak_mb, f"{outcome}; {notes}; log {log}"))
            continue
        built = marts_rows(home)
        same = (
            "same marts rows as dbt alone"
            if built == expected
            else f"DIFFERENT marts rows: {built} vs {expected}"
        )
        rows.append((label, seconds, peak_mb, f"{notes}; {same}"))

    print(
        f"\n`dbt build` of the 2022-H1 demo warehouse, {os.cpu_count()} CPUs, "
        "`airflow dags test` (tasks run one at a time, DAG parse included)\n"
    )
    print("| mode | wall seconds | relative to dbt alone | peak RSS of process tree (MB) | notes |")
    print("| --- | ---: | ---: | ---: | --- |")
    for label, seconds, peak_mb, notes in rows:
        shown, ratio = (
            ("n/a", "n/a") if seconds is None else (f"{seconds:.1f}", f"{seconds / floor:.1f}x")
        )
        print(f"| {label} | {shown} | {ratio} | {peak_mb:.0f} | {notes} |")
    if args.json:
        lines = [
            {
                "measure": f"dbt build of the Lạng Sơn demo: {label}",
                "seconds": seconds,
                "peak_mb": peak_mb,
                "floor": "dbt alone",
                "floor_seconds": floor,
                "floor_peak_mb": floor_mb,
            }
            for label, seconds, peak_mb, _ in rows[1:]
            if seconds is not None
        ]
        args.json.write_text(json.dumps(lines, ensure_ascii=False), encoding="utf-8")
    if args.keep or failed:
        print(f"\nwork folder kept: {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
