"""`outreach` stops every process it started (outreach/orchestration/processes.py): a command's
children, one that left its process group (as Airflow's task processes do), one that ignores
SIGTERM, and one left behind by a command that ended, all gone after SIGTERM or Ctrl+C; and what
`outreach airflow` asks of its components."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import left_running

# the stop's waits here (`outreach` waits longer); the tests that kill processes are `heavy`
GRACE, KILL_AFTER = 1.0, 1.0
SLEEPER = "import time; time.sleep(600)"
# a process with a child, as the scheduler's task processes (each in a process group of its own)
PARENT = (
    "import subprocess, sys, time; "
    f"subprocess.Popen([sys.executable, '-c', {SLEEPER!r}]); {SLEEPER}"
)
STUBBORN = (
    "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    f"signal.signal(signal.SIGINT, signal.SIG_IGN); {PARENT}"
)
# the command `outreach` runs: one child in a process group of its own, one that ignores SIGTERM
# and SIGINT, each with a child of its own; then it writes their pids and waits, or ends
TREE = """
import json, subprocess, sys, time
own_group = subprocess.Popen([sys.executable, "-c", sys.argv[3]], process_group=0)
ignoring = subprocess.Popen([sys.executable, "-c", sys.argv[4]])
time.sleep(1)
with open(sys.argv[1], "w") as out:
    json.dump([own_group.pid, ignoring.pid], out)
time.sleep(2 if sys.argv[2] == "leave" else 600)  # the test sees its tree
sys.exit(3)  # ends, leaving its children behind
"""
RUNNER = f"""
import sys
from outreach.orchestration import processes
from outreach.orchestration.processes import Interrupted
try:
    code = processes.run(sys.argv[1:], grace={GRACE}, kill_after={KILL_AFTER})
except Interrupted as stopped:
    sys.exit(stopped.exit_code)
sys.exit(code)
"""


def _start(tmp_path: Path, mode: str) -> tuple[subprocess.Popen, Path]:
    pids = tmp_path / "pids.json"
    command = [sys.executable, "-c", TREE, str(pids), mode, PARENT, STUBBORN]
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, *command], start_new_session=True)
    deadline = time.monotonic() + 30
    while not (pids.exists() and pids.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pids.exists(), "the command did not start its children"
    return runner, pids


def _tree(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


@pytest.mark.heavy
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_command_leaves_no_process(tmp_path, signum):
    runner, pids = _start(tmp_path, "wait")
    tree = _tree(runner.pid)
    assert len(tree) >= 5 and set(json.loads(pids.read_text())) <= {p.pid for p in tree}
    started = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(runner.pid, signum)  # a terminal's Ctrl+C: to the foreground group
    else:
        os.kill(runner.pid, signum)
    assert runner.wait(GRACE + KILL_AFTER + 10) == 128 + signum
    assert left_running(tree, 2) == []
    # the group's signal stopped what heeds it; only the stubborn one waited for the grace
    assert time.monotonic() - started < GRACE + KILL_AFTER + 5


@pytest.mark.heavy
def test_what_a_command_leaves_behind_is_stopped_when_it_ends(tmp_path):
    runner, _ = _start(tmp_path, "leave")
    tree = _tree(runner.pid)
    assert len(tree) >= 5
    assert runner.wait(GRACE + KILL_AFTER + 10) == 3
    assert left_running(tree, 2) == []


def test_the_embedded_default_starts_no_night_and_no_server_off_the_loopback_unless_asked():
    """What `outreach airflow` gives its components (tests/test_embedded_airflow.py checks the
    processes themselves): the scheduler creates runs of its own only with --nightly, the API
    server is on 127.0.0.1, and no component starts a log server (Airflow binds them to every
    interface)."""
    from outreach.orchestration.airflow_run import EMBEDDED_COMPONENTS, embedded_environment

    quiet = embedded_environment({"AIRFLOW__API__HOST": "0.0.0.0"}, 8080, nightly=False)
    assert quiet["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] == "False"
    assert quiet["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert quiet["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"
    nightly = embedded_environment({}, 8080, nightly=True)
    assert nightly["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] == "True"
    for name in ("scheduler", "triggerer"):  # the two that would start one
        assert "--skip-serve-logs" in EMBEDDED_COMPONENTS[name], name
