"""What Airflow costs on the Lạng Sơn nightly run: the run through Airflow vs its steps alone.

    .venv/bin/python bench/airflow_overhead.py [--keep]

On the 2026-H1 demo files (Lạng Sơn after the reform: its communes, the merged outlet), each
on a fresh home folder:

- steps alone: pull, ingest, build, check, publish, report, remind called one after another in
  one Python process, as `outreach.orchestration.pipeline` gives them to the DAG (the floor);
- outreach_nightly: the same run as `outreach run` does it, `airflow dags test` of the real DAG
  (Airflow's metadata database is migrated before, untimed);
- an empty two-task DAG through `airflow dags test`: what any DAG run costs here.

Prints a Markdown table with the overhead (the run minus its steps) as a share of the steps.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_table import finish  # noqa: E402
from dbt_in_airflow import airflow, airflow_env, measure  # noqa: E402

from outreach.core.home import Home  # noqa: E402
from outreach.core.periods import parse_period  # noqa: E402
from outreach.core.settings import settings  # noqa: E402
from outreach.generators.sample import generate  # noqa: E402
from outreach.orchestration import pipeline  # noqa: E402
from outreach.orchestration.airflow_run import logical_date_for, prepare_airflow, run_nightly  # noqa: E402

PERIOD = parse_period("2026-H1")

EMPTY_DAG = """
import pendulum
from airflow.sdk import dag, task

@dag(dag_id="bench_empty", schedule=None, start_date=pendulum.datetime(2022, 1, 1),
     catchup=False)
def bench_empty():
    @task
    def first():
        return 1

    @task
    def second(value):
        return value + 1

    second(first())

bench_empty()
"""


def steps_alone(home: Home, drop: Path) -> dict[str, float]:
    as_of = settings().closing_date(PERIOD)
    timings = {}
    for name, step in (
        ("pull", lambda: pipeline.pull(home, drop)),
        # the cross-check is off unless a deployment turns it on: the step returns at once
        ("collect", lambda: pipeline.collect(home, [PERIOD], as_of)),
        ("ingest", lambda: pipeline.ingest(home)),
        ("build", lambda: pipeline.build(home, as_of)),
        ("check", lambda: pipeline.check(home, PERIOD)),
        ("publish", lambda: pipeline.publish(home)),
        ("report", lambda: pipeline.report(home, PERIOD)),
        ("remind", lambda: pipeline.remind(home, PERIOD)),
    ):
        started = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", type=Path, help="write the lines for bench/summary.py here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airflow-overhead-"))
    print(f"work folder: {work}", file=sys.stderr)
    drop = work / "drop"
    with contextlib.redirect_stdout(sys.stderr):
        generate(PERIOD, drop)

    floor_home = Home(work / "steps").ensure()
    timings, _, floor_mb = measure(steps_alone, floor_home, drop, include_self=True)
    floor = sum(timings.values())

    nightly_home = Home(work / "nightly").ensure()
    with open(work / "prepare.log", "w", encoding="utf-8") as log:
        prepare_airflow(nightly_home, log)  # untimed, as on any night after the first
    _, nightly, nightly_mb = measure(run_nightly, nightly_home, PERIOD, drop)

    empty = work / "empty"
    (empty / "dags").mkdir(parents=True)
    (empty / "airflow").mkdir()
    (empty / "dags" / "bench_empty.py").write_text(EMPTY_DAG, encoding="utf-8")
    env = airflow_env(empty)
    if airflow(["db", "migrate"], env, work / "empty-migrate.log", 600) != 0:
        sys.exit(f"airflow db migrate failed; see {work / 'empty-migrate.log'}")
    code, empty_seconds, empty_mb = measure(
        airflow,
        ["dags", "test", "bench_empty", logical_date_for(PERIOD).isoformat()],
        env,
        work / "empty.log",
        600,
    )
    if code != 0:
        sys.exit(f"the empty DAG failed; see {work / 'empty.log'}")

    overhead = nightly - floor
    print(
        f"\nThe Lạng Sơn nightly run ({PERIOD.code} demo), "
        "Airflow's `dags test`, tasks one at a time\n"
    )
    print("| what | wall seconds | peak RSS (MB) |")
    print("| --- | ---: | ---: |")
    steps = ", ".join(f"{name} {seconds:.1f}" for name, seconds in timings.items())
    print(f"| steps alone, one process ({steps}) | {floor:.1f} | {floor_mb:.0f} |")
    print(f"| outreach_nightly through Airflow | {nightly:.1f} | {nightly_mb:.0f} |")
    print(f"| an empty two-task DAG through Airflow | {empty_seconds:.1f} | {empty_mb:.0f} |")
    print(
        f"\nthrough Airflow: {nightly / floor:.1f}x the steps' own time, an overhead of "
        f"{overhead:.1f} s (aim: under 2x)"
    )
    lines = [
        {
            "measure": f"Lạng Sơn nightly run ({PERIOD.code} demo) through Airflow "
            f"(an overhead of {overhead:.1f} s) against its steps run alone",
            "seconds": nightly,
            "peak_mb": nightly_mb,
            "floor": f"the steps alone ({steps})",
            "floor_seconds": floor,
            "floor_peak_mb": floor_mb,
            "aim": 2.0,
        },
        {
            "measure": "outreach_nightly through Airflow, whole run",
            "seconds": nightly,
            "peak_mb": nightly_mb,
            "floor": "an empty two-task DAG through Airflow",
            "floor_seconds": empty_seconds,
            "floor_peak_mb": empty_mb,
        },
    ]
    finish(lines, args.json, work, args.keep)


if __name__ == "__main__":
    main()
