"""`make bench`: every benchmark, one after the other on this machine, then one table.

    .venv/bin/python bench/summary.py

Runs bench/ingest_national.py, bench/national.py, bench/airflow_overhead.py and
bench/dbt_in_airflow.py (each prints its own table as it goes, on stderr here), then prints the
lines of all of them in one Markdown table with each line's floor, ratio, aim and peak memory,
and the machine it ran on; then bench/portal_load.py's table (the portal under a deadline: 300
senders at once) and bench/portal_sustained.py's (a steady 10 uploads a second for two minutes
on as many worker processes as the machine has cores), whose lines are also in the first table.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_table import print_table  # noqa: E402

BENCHES = ["ingest_national.py", "national.py", "airflow_overhead.py", "dbt_in_airflow.py"]


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory:.0f} GiB, Python "
        f"{platform.python_version()}, {date.today().isoformat()}"
    )


def main() -> None:
    started = time.perf_counter()
    lines: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-summary-") as folder:
        for script in BENCHES:
            out = Path(folder) / f"{script}.json"
            print(f"== {script}", file=sys.stderr, flush=True)
            result = subprocess.run(
                [sys.executable, str(HERE / script), "--json", str(out)],
                stdout=sys.stderr,
                check=False,
            )
            if result.returncode != 0 or not out.is_file():
                sys.exit(f"{script} failed (exit {result.returncode})")
            lines += json.loads(out.read_text(encoding="utf-8"))
        # the portal under a deadline's load: its own table (counts and latencies, not ratios)
        print("== portal_load.py", file=sys.stderr, flush=True)
        portal = Path(folder) / "portal.md"
        result = subprocess.run(
            [sys.executable, str(HERE / "portal_load.py"), "--markdown", str(portal)],
            stdout=sys.stderr,
            check=False,
        )
        if result.returncode != 0 or not portal.is_file():
            sys.exit(f"portal_load.py failed (exit {result.returncode})")
        portal_table = portal.read_text(encoding="utf-8")
        # then a sustained load, open loop, on as many workers as the machine has cores: its
        # lines join the table (their aims: a 95th percentile, every upload landed once), and
        # its own table follows the burst's
        print("== portal_sustained.py", file=sys.stderr, flush=True)
        out, sustained = Path(folder) / "sustained.json", Path(folder) / "sustained.md"
        result = subprocess.run(
            [
                sys.executable,
                str(HERE / "portal_sustained.py"),
                "--json",
                str(out),
                "--markdown",
                str(sustained),
            ],
            stdout=sys.stderr,
            check=False,
        )
        if not out.is_file() or not sustained.is_file():
            sys.exit(f"portal_sustained.py failed (exit {result.returncode})")
        lines += json.loads(out.read_text(encoding="utf-8"))
        sustained_table = sustained.read_text(encoding="utf-8")
    minutes = (time.perf_counter() - started) / 60
    print(f"\nmake bench, {machine()}; {minutes:.0f} minutes in all\n")
    print_table(lines)
    print("\nThe portal, 300 senders uploading at once (bench/portal_load.py):\n")
    print(portal_table)
    print(
        f"\nThe portal under a sustained load on {os.cpu_count()} workers "
        "(bench/portal_sustained.py):\n"
    )
    print(sustained_table)
    if result.returncode != 0:  # its table says what failed (lost or doubled, errors)
        sys.exit(f"portal_sustained.py failed (exit {result.returncode})")


if __name__ == "__main__":
    main()
