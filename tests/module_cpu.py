"""Where the test suite's CPU goes, module by module: `--module-cpu FILE` makes each pytest
process (each xdist worker) add a line to FILE for every module it ran, with the CPU it and the
processes it waited for (dbt, Airflow, LibreOffice) used meanwhile; `python
tests/module_cpu.py FILE` prints them as a table, the most first.

On two cores both busy, `make test` cannot take less than its CPU over two: only less work makes
it shorter, and this says which modules do the most. A module's line counts the fixtures it
built first (a `built_once_per_run` fixture is counted to the module that built it) and not the
daemons a test left running past its module (none should). docs/engineers.md, "The test
suite's time", has a run's table.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--module-cpu",
        metavar="FILE",
        default=None,
        help="add a line to FILE for each test module run: its CPU and its waited processes'",
    )


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, waited.ru_utime + waited.ru_stime


class _Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.module: str | None = None
        self.started = (0.0, 0.0, 0.0)

    def switch(self, module: str | None) -> None:
        if module == self.module:
            return
        own, waited = _cpu()
        now = time.monotonic()
        if self.module is not None:
            line = {
                "module": self.module,
                "own": round(own - self.started[0], 2),
                "waited": round(waited - self.started[1], 2),
                "wall": round(now - self.started[2], 2),
                "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            }
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
        self.module, self.started = module, (own, waited, now)


_KEY = pytest.StashKey[_Recorder]()


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--module-cpu")
    if path:
        config.stash[_KEY] = _Recorder(Path(path).resolve())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> None:
    recorder = item.config.stash.get(_KEY, None)
    if recorder is not None:
        recorder.switch(item.module.__name__ if item.module else item.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    recorder = session.config.stash.get(_KEY, None)
    if recorder is not None:
        recorder.switch(None)


def ranked(path: Path) -> list[tuple[str, list[float]]]:
    """The lines of FILE by module (a module a worker ran in parts is summed), the most CPU
    first: its own CPU, its waited processes' and its wall time (bench/test_loop.py names the
    first few)."""
    modules: dict[str, list[float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        total = modules.setdefault(row["module"], [0.0, 0.0, 0.0])
        for index, key in enumerate(("own", "waited", "wall")):
            total[index] += row[key]
    return sorted(modules.items(), key=lambda item: -(item[1][0] + item[1][1]))


def table(path: Path) -> str:
    """The lines of FILE by module, as Markdown, the most CPU first."""
    rows = ranked(path)
    everything = sum(own + waited for _, (own, waited, _) in rows)
    lines = [
        "| module | CPU (s) | in pytest | in processes it waited for | wall (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for module, (own, waited, wall) in rows:
        lines.append(f"| {module} | {own + waited:.0f} | {own:.0f} | {waited:.0f} | {wall:.0f} |")
    lines.append(f"| all {len(rows)} modules | {everything:.0f} | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(Path(sys.argv[1])))
