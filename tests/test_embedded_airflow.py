"""`outreach airflow` and `outreach run` as an operator meets them, run for real as subprocesses
in a home of their own: unpausing the DAG (what Airflow's Trigger form does by default) starts no
night unless `--nightly` was asked for; every server of the embedded default listens on the
loopback only; SIGTERM or Ctrl+C stops every process either command started, a running night's
tasks and dbt included."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner
from helpers import left_running, new_home

from outreach.cli import main
from outreach.orchestration import airflow_run

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
DAG = "outreach_nightly"
LOOPBACK = {"127.0.0.1", "::1"}
LOG_SERVER_PORTS = {8793, 8794}  # Airflow's worker and triggerer log servers, every interface
# the components' grace, SIGTERM's, and room for a busy machine
SERVE_STOP_LIMIT = airflow_run.SERVE_STOP_GRACE_SECONDS + 5 + 15
RUN_STOP_LIMIT = airflow_run.RUN_STOP_GRACE_SECONDS + 5 + 15
# with the schedule on, the scheduler creates the last night's run within a second of the
# unpause (the `--nightly` test waits for it)
NO_RUN_WAIT = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepared_home(root: Path):
    """A home with Airflow's database already migrated (conftest copies it from a template), so
    the subprocess does not spend its own ten seconds on it."""
    home = new_home(root)
    with open(root / "prepare.log", "w", encoding="utf-8") as log:
        airflow_run.prepare_airflow(home, log)
    return home


def environment() -> dict[str, str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        # no password to read in a test: every request is an admin's
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "OUTREACH_CATCHUP": "false",
    }
    env.pop("OUTREACH_START_DATE", None)
    return env


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def command_lines(processes: list[psutil.Process]) -> list[str]:
    lines = []
    for process in processes:
        try:
            lines.append(" ".join(process.cmdline()))
        except psutil.Error:
            continue
    return lines


def stop_and_check(process: subprocess.Popen, signum: int, limit: float) -> float:
    """Signal `outreach` as an operator does (Ctrl+C: SIGINT to the terminal's foreground group;
    SIGTERM: to the process), and check that every process of its tree, recorded just before,
    is gone within `limit` seconds; how long it took."""
    recorded = tree(process.pid)
    started = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    assert process.wait(limit) == 128 + signum
    left = left_running(recorded, max(limit - (time.monotonic() - started), 1))
    assert left == [], f"left running after {signal.Signals(signum).name}: {left}"
    return time.monotonic() - started


def runs_dbt(command_line: str) -> bool:
    return any(Path(part).name == "dbt" for part in command_line.split()[:2])


class Embedded:
    """`outreach airflow` in a subprocess, and the REST API of the Airflow it started."""

    def __init__(self, root: Path, nightly: bool) -> None:
        self.root = root
        self.port = free_port()
        self.home = prepared_home(root / "home")
        arguments = ["airflow", "--home", str(self.home.root), "--port", str(self.port)]
        self.output = open(root / "outreach-airflow.log", "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(BIN / "outreach"), *arguments, *(["--nightly"] if nightly else [])],
            env=environment(),
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own terminal's foreground group, for Ctrl+C
        )

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if not path.startswith("/auth"):
            headers["Authorization"] = (
                f"Bearer {self.request('GET', '/auth/token')['access_token']}"
            )
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers=headers,
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def get(self, path: str) -> dict | None:
        try:
            return self.request("GET", path)
        except (OSError, ValueError):
            return None

    def wait(self, ready, what: str, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"outreach airflow exited; see {self.output.name}"
            result = ready()
            if result:
                return result
            time.sleep(1)
        raise AssertionError(f"{what} not ready after {timeout:.0f} s; see {self.output.name}")

    def components_up(self) -> bool:
        lines = " ".join(command_lines(tree(self.process.pid)))
        return all(
            name in lines for name in ("scheduler", "dag-processor", "triggerer", "api_server")
        )

    def start(self) -> None:
        self.wait(lambda: self.get("/api/v2/monitor/health"), "the API server", 180)
        self.wait(lambda: self.get(f"/api/v2/dags/{DAG}"), "the DAG, parsed", 120)
        self.wait(self.components_up, "every component", 60)

    def unpause(self) -> None:
        """What the Trigger form does on a paused DAG, its box left ticked."""
        self.request("PATCH", f"/api/v2/dags/{DAG}", {"is_paused": False})

    def runs(self) -> list[dict]:
        answer = self.get(f"/api/v2/dags/{DAG}/dagRuns")
        return answer["dag_runs"] if answer else []

    def listeners(self) -> set[tuple[str, int]]:
        found = set()
        for process in tree(self.process.pid):
            try:
                connections = process.net_connections(kind="inet")
            except psutil.Error:
                continue
            found |= {
                (c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN
            }
        return found

    def check_listeners(self) -> None:
        listeners = self.listeners()
        assert ("127.0.0.1", self.port) in listeners
        assert {ip for ip, _ in listeners} <= LOOPBACK, listeners
        assert not {port for _, port in listeners} & LOG_SERVER_PORTS, listeners


@contextmanager
def embedded(root: Path, nightly: bool):
    airflow = Embedded(root, nightly)
    try:
        airflow.start()
        yield airflow
    finally:
        if airflow.process.poll() is None:  # a failed test: stop it all the same
            try:
                airflow.process.send_signal(signal.SIGTERM)
                airflow.process.wait(SERVE_STOP_LIMIT)
            except subprocess.TimeoutExpired:
                for process in reversed(tree(airflow.process.pid)):
                    process.kill()
        airflow.output.close()


def test_unpausing_starts_no_night_the_servers_are_on_loopback_and_sigterm_stops_all(tmp_path):
    with embedded(tmp_path, nightly=False) as airflow:
        airflow.unpause()
        time.sleep(NO_RUN_WAIT)
        assert airflow.runs() == []
        # the run asked for starts at once, alone
        asked = airflow.request(
            "POST", f"/api/v2/dags/{DAG}/dagRuns", {"logical_date": datetime.now(UTC).isoformat()}
        )
        airflow.wait(
            lambda: [run["state"] for run in airflow.runs()] == ["running"], "the run asked", 60
        )
        assert [run["dag_run_id"] for run in airflow.runs()] == [asked["dag_run_id"]]
        airflow.check_listeners()
        took = stop_and_check(airflow.process, signal.SIGTERM, SERVE_STOP_LIMIT)
    print(f"outreach airflow stopped by SIGTERM, a run under way, in {took:.1f} s")


def test_with_nightly_unpausing_runs_the_last_night_and_ctrl_c_stops_it_all(tmp_path):
    with embedded(tmp_path, nightly=True) as airflow:
        airflow.unpause()
        [night] = airflow.wait(airflow.runs, "the last night's run", 60)
        assert night["run_type"] == "scheduled"
        running = f"/api/v2/dags/{DAG}/dagRuns/{night['dag_run_id']}/taskInstances?state=running"

        def a_task_runs() -> int:
            answer = airflow.get(running)
            return answer["total_entries"] if answer else 0

        # stopped with a task of the night running: its supervisor, its process, maybe dbt
        airflow.wait(a_task_runs, "a task of the night", 120)
        airflow.check_listeners()
        took = stop_and_check(airflow.process, signal.SIGINT, SERVE_STOP_LIMIT)
    print(f"outreach airflow --nightly stopped by Ctrl+C, a task running, in {took:.1f} s")


def test_a_stopped_outreach_run_leaves_neither_airflow_nor_dbt_running(tmp_path):
    home = prepared_home(tmp_path / "home")
    drop = tmp_path / "drop"
    sampled = CliRunner().invoke(main, ["sample", "--period", "2022-H1", "--inbox", str(drop)])
    assert sampled.exit_code == 0, sampled.output
    with open(tmp_path / "outreach-run.log", "w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [str(BIN / "outreach"), "run", "--period", "2022-H1", "--inbox", str(drop)]
            + ["--home", str(home.root)],
            env=environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 240
            while not any(runs_dbt(line) for line in command_lines(tree(process.pid))):
                assert process.poll() is None, (tmp_path / "outreach-run.log").read_text()
                assert time.monotonic() < deadline, "dbt never started"
                time.sleep(0.5)
            took = stop_and_check(process, signal.SIGTERM, RUN_STOP_LIMIT)
        finally:
            if process.poll() is None:
                for survivor in reversed(tree(process.pid)):
                    survivor.kill()
    print(f"outreach run stopped by SIGTERM during dbt build in {took:.1f} s")
