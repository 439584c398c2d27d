"""The test loop: `make test-fast` and `make test`, each in a fresh clone of this checkout.

    .venv/bin/python bench/test_loop.py [--fast-only] [--keep]

Clones the committed HEAD twice into a work folder (what is not committed is not measured). In
the first, `make setup` (the virtual environment from uv's cache, its bytecode compiled), then
`make test-fast`, the inner loop of an engineer who has set up; in the second, `make test` as CI
runs it in a clean clone, its setup included. Each test line gives the
wall time beside its floor: the CPU of every process the command waited for (pytest, its
workers, dbt, Airflow, LibreOffice, the lint beside the tests) over the machine's cores, which
no scheduling of the tests can go under while both cores are busy. `make test` runs with
`--module-cpu` (tests/module_cpu.py), and a third line names the modules that take the most of
that CPU: where a missed aim's time goes.

The aims: `make test-fast` under 45 s, `make test` under 10 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_table import finish, print_table  # noqa: E402
from module_cpu import ranked  # noqa: E402

FAST_AIM_SECONDS = 45.0
FULL_AIM_SECONDS = 600.0
# the modules named on the line of where `make test`'s CPU goes
NAMED_MODULES = 5
# what the outer `make bench` exports, which the clone's own make must set for itself
NOT_PASSED_ON = ("OUTREACH_HOME", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTEST_ADDOPTS")


def _clone(work: Path, name: str) -> Path:
    clone = work / name
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    return clone


def _children() -> tuple[float, float]:
    """CPU seconds and peak memory (MB, the largest single process) of the waited children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_make(clone: Path, target: str, addopts: str = "") -> dict:
    """`make <target>` in the clone: its wall time, its CPU (with every process it waited for),
    the largest process's peak memory, and the number of tests pytest says passed."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_PASSED_ON}
    if addopts:
        env["PYTEST_ADDOPTS"] = addopts
    log = clone / f"make-{target}.log"
    cpu_before, _ = _children()
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            ["make", "--no-print-directory", target],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.perf_counter() - started
    cpu_after, peak_mb = _children()
    text = log.read_text(encoding="utf-8", errors="replace")
    if result.returncode != 0:
        print(text[-4000:], file=sys.stderr)
        sys.exit(f"make {target} failed in {clone} (exit {result.returncode}); log {log}")
    passed = re.findall(r"(\d+) passed", text)
    return {
        "seconds": seconds,
        "cpu": cpu_after - cpu_before,
        "peak_mb": peak_mb,
        "passed": int(passed[-1]) if passed else 0,
    }


def loop_line(target: str, run: dict, aim: float, cores: int, setup: str) -> dict:
    return {
        "measure": f"`make {target}` in a fresh clone, {setup} ({run['passed']} passed; "
        f"{run['cpu']:.0f} s of CPU in all its processes)",
        "seconds": run["seconds"],
        "peak_mb": run["peak_mb"],
        "floor": f"its CPU over the machine's {cores} cores",
        "floor_seconds": run["cpu"] / cores,
        "aim_seconds": aim,
    }


def modules_line(cpu_file: Path, run: dict) -> dict:
    """The modules that take the most of `make test`'s CPU, against all the modules' CPU."""
    modules = ranked(cpu_file)
    named = modules[:NAMED_MODULES]
    everything = sum(own + waited for _, (own, waited, _) in modules)
    waited = sum(waited for _, (_, waited, _) in modules)
    listed = ", ".join(
        f"{module.removeprefix('test_')} {own + in_processes:.0f} s"
        for module, (own, in_processes, _) in named
    )
    return {
        "measure": f"`make test`: the {len(named)} of its {len(modules)} test modules that take "
        f"the most CPU ({listed}; {waited / everything:.0%} of every module's CPU is in the "
        "dbt, Airflow, LibreOffice and browser processes they wait for)",
        "seconds": sum(own + in_processes for _, (own, in_processes, _) in named),
        "peak_mb": run["peak_mb"],
        "floor": "every module's CPU",
        "floor_seconds": everything,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast-only", action="store_true", help="only `make test-fast`")
    parser.add_argument("--json", type=Path, help="write the lines here (bench/summary.py)")
    parser.add_argument("--keep", action="store_true", help="keep the clones")
    arguments = parser.parse_args()
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="bench-test-loop-"))
    clone = _clone(work, "fast")
    setup = run_make(clone, "setup")
    fast = run_make(clone, "test-fast")
    lines = [
        {
            "measure": f"`make setup` in a fresh clone (uv's cache warm; {setup['cpu']:.0f} s "
            "of CPU)",
            "seconds": setup["seconds"],
            "peak_mb": setup["peak_mb"],
        },
        loop_line("test-fast", fast, FAST_AIM_SECONDS, cores, "after its setup"),
    ]
    if not arguments.fast_only:
        cpu_file = work / "module-cpu.jsonl"
        full = run_make(_clone(work, "full"), "test", addopts=f"--module-cpu {cpu_file}")
        lines += [
            loop_line("test", full, FULL_AIM_SECONDS, cores, "its setup included"),
            modules_line(cpu_file, full),
        ]
    print_table(lines)
    finish(lines, arguments.json, work, arguments.keep)


if __name__ == "__main__":
    main()
