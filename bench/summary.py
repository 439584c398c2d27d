"""`make bench`: every benchmark, one after the other on this machine, then one table.

    .venv/bin/python bench/summary.py

Runs bench/ingest_national.py, bench/national.py (on 2021-2026, then what grows with history
again on 2016-2026, with a line for each night on the longer history against the same night on
the shorter), bench/airflow_overhead.py, bench/dbt_in_airflow.py and bench/test_loop.py
(`make test-fast` and `make test`, each in a fresh clone; each prints its own table as it goes,
on stderr here), then prints the lines of all of them in one Markdown table with
each line's floor, ratio, aim and peak memory, and the machine it ran on; then
bench/portal_load.py's table (the portal under a deadline: 300 senders at once) and
bench/portal_sustained.py's (a steady 10 uploads a second for two minutes on as many worker
processes as the machine has cores), whose lines are also in the first table.

    .venv/bin/python bench/summary.py --history

Only what grows with history: bench/national.py's nights on 2021-2026 and on 2016-2026, each
with its floor, then the longer history's lines against the shorter's (a quarter of an hour).
"""

from __future__ import annotations

import argparse
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
from national import years_of  # noqa: E402

HISTORY_FROM = 2016

# each script with its arguments; the second national run only measures what grows with
# history (ingest, full build, the nights) on eleven years: the reporting calendar and the
# programme start in 2016
BENCHES = [
    ["ingest_national.py"],
    ["national.py"],
    ["national.py", "--years", f"{HISTORY_FROM}-2026", "--history"],
    # headroom: ten years of today's registry (3,363 sources), ten times a national year
    ["national.py", "--years", "2017-2026", "--current-registry"],
    ["airflow_overhead.py"],
    ["dbt_in_airflow.py"],
    # the test loop: `make test-fast` and `make test`, each in a fresh clone of HEAD
    ["test_loop.py"],
]
# `--history`: only the nights on both lengths of history
HISTORY_BENCHES = [
    ["national.py", "--history"],
    ["national.py", "--years", f"{HISTORY_FROM}-2026", "--history"],
]
# the nights on the longer history against the same nights on the shorter: at most this
HISTORY_AIM = 1.2


def history_lines(lines: list[dict]) -> list[dict]:
    """Each night on 2016-2026 against the same night on 2021-2026."""
    runs: dict[str, dict[str, dict]] = {}
    for line in lines:
        if line.get("years") and line.get("key") and line.get("registry") == "reform":
            runs.setdefault(line["years"], {})[line["key"]] = line
    if len(runs) != 2:
        return []
    short, long = sorted(runs.items(), key=lambda run: run[0], reverse=True)
    compared = []
    for key, what in (("night", "the night after one day's files"), ("date_night", "a date night")):
        if key in short[1] and key in long[1]:
            compared.append(
                {
                    "measure": f"{what} on {long[0]} (its history {len(years_of(long[0]))} years) "
                    f"against the same night on {short[0]} ({len(years_of(short[0]))} years)",
                    "seconds": long[1][key]["seconds"],
                    "peak_mb": long[1][key]["peak_mb"],
                    "floor": f"the same night on {short[0]}",
                    "floor_seconds": short[1][key]["seconds"],
                    "floor_peak_mb": short[1][key]["peak_mb"],
                    "aim": HISTORY_AIM,
                }
            )
    # and what those nights cannot do without on each history (their files ingested, one dbt
    # invocation, the SQL of the nodes they select): the part of the growth that is the SQL's
    for key, what in (("night_floor", "the night's"), ("date_night_floor", "a date night's")):
        if key in short[1] and key in long[1]:
            compared.append(
                {
                    "measure": f"{what} floor on {long[0]} against the same floor on {short[0]} "
                    f"({long[1][key]['floor']})",
                    "seconds": long[1][key]["floor_seconds"],
                    "peak_mb": long[1][key]["floor_peak_mb"],
                    "floor": f"the same floor on {short[0]}",
                    "floor_seconds": short[1][key]["floor_seconds"],
                    "floor_peak_mb": short[1][key]["floor_peak_mb"],
                }
            )
    return compared


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", action="store_true", help="only the nights on both histories")
    only_history = parser.parse_args().history
    started = time.perf_counter()
    lines: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-summary-") as folder:
        for number, (script, *arguments) in enumerate(HISTORY_BENCHES if only_history else BENCHES):
            out = Path(folder) / f"{number}-{script}.json"
            print(f"== {script} {' '.join(arguments)}", file=sys.stderr, flush=True)
            result = subprocess.run(
                [sys.executable, str(HERE / script), *arguments, "--json", str(out)],
                stdout=sys.stderr,
                check=False,
            )
            if result.returncode != 0 or not out.is_file():
                sys.exit(f"{script} failed (exit {result.returncode})")
            lines += json.loads(out.read_text(encoding="utf-8"))
        lines += history_lines(lines)
        if only_history:
            minutes = (time.perf_counter() - started) / 60
            print(f"\nbench/summary.py --history, {machine()}; {minutes:.0f} minutes in all\n")
            print_table(lines)
            return
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
