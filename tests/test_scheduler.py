"""The production deployment without containers: Airflow's scheduler, dag-processor, api-server
and a Celery worker on the PostgreSQL (metadata) and Redis (broker) of this machine.

The scheduler creates the runs itself: the DAG starts two nights ago with catchup on, so the
missed nights are run, in order. A third run is triggered through the REST API on the demo files.
The test creates its own database and drops it at the end.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fast_tier import heavy_fixture
from mailserver import local_smtp, text_of

from outreach.core.periods import parse_period
from outreach.core.settings import reports_for_night
from outreach.generators.sample import generate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 13
COMPONENTS = [
    ["api-server"],
    ["scheduler"],
    ["dag-processor"],
    ["celery", "worker", "--concurrency", "2"],
]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def admin(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", **PG)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


class Cluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.database = f"outreach_it_{uuid.uuid4().hex[:10]}"
        self.port = free_port()
        self.home = root / "outreach"
        self.start = (datetime.now(LOCAL_TZ) - timedelta(days=2)).date()
        conn = f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{self.database}"
        self.env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),
            "AIRFLOW_HOME": str(root / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{conn}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "AIRFLOW__API_AUTH__JWT_SECRET": base64.urlsafe_b64encode(os.urandom(64)).decode(),
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
            # no users to manage in a test: every request is an admin's
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "OUTREACH_HOME": str(self.home),
            "OUTREACH_START_DATE": self.start.isoformat(),
            "OUTREACH_CATCHUP": "true",
            "OUTREACH_TASK_RETRIES": "1",
            "OUTREACH_RETRY_DELAY_SECONDS": "3",
            "OUTREACH_ALERT_TO": "ops@test.example",
        }
        self.processes: list[subprocess.Popen] = []

    def airflow(self, *arguments: str) -> None:
        subprocess.run(
            [str(BIN / "airflow"), *arguments],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=300,
        )

    def up(self) -> None:
        import redis

        redis.Redis(*REDIS, db=REDIS_DB).flushdb()  # no message left from another run
        admin(f'create database "{self.database}"')
        self.airflow("db", "migrate")
        self.airflow("pools", "set", "duckdb_writer", "1", "one DuckDB writer")
        for component in COMPONENTS:
            log = open(self.root / f"{component[0]}.log", "w", encoding="utf-8")  # noqa: SIM115
            self.processes.append(
                subprocess.Popen(
                    [str(BIN / "airflow"), *component],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        self.wait(lambda: self.get("/api/v2/version"), "the API server", 120)

    def down(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        admin(f'drop database if exists "{self.database}" with (force)')

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if not path.startswith("/auth"):
            token = self.request("GET", "/auth/token")["access_token"]
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def get(self, path: str) -> dict | None:
        try:
            return self.request("GET", path)
        except OSError:
            return None

    def runs(self) -> list[dict]:
        answer = self.get("/api/v2/dags/outreach_nightly/dagRuns?order_by=logical_date")
        return answer["dag_runs"] if answer else []

    def wait(self, ready, what: str, timeout: float) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                assert process.poll() is None, f"{process.args[1]} exited; logs in {self.root}"
            result = ready()
            if result:
                return result
            time.sleep(3)
        raise AssertionError(f"{what} not ready after {timeout:.0f} s; logs in {self.root}")


def nights_due(start, now: datetime) -> list[datetime]:
    """Ends of the nightly data intervals (02:00 local) from the start date up to now."""
    ends, day = [], start + timedelta(days=1)
    while (end := datetime.combine(day, datetime.min.time(), LOCAL_TZ).replace(hour=2)) <= now:
        ends.append(end)
        day += timedelta(days=1)
    return ends


@heavy_fixture(scope="module")
def cluster(tmp_path_factory):
    if not (reachable(PG["host"], PG["port"]) and reachable(*REDIS)):
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    with local_smtp() as mailbox:
        running.env.update(mailbox.environment())
        running.mailbox = mailbox
        try:
            running.up()
            yield running
        finally:
            running.down()


def test_the_scheduler_runs_the_missed_nights_in_order(cluster):
    expected = nights_due(cluster.start, datetime.now(LOCAL_TZ))
    assert expected, "no night has ended since the start date"

    def finished():
        runs = [r for r in cluster.runs() if r["run_type"] == "scheduled"]
        done = len(runs) == len(expected) and all(r["state"] in ("success", "failed") for r in runs)
        return runs if done else None

    runs = cluster.wait(finished, "the scheduled runs", 400 * len(expected))
    assert [r["state"] for r in runs] == ["success"] * len(expected)
    ends = [datetime.fromisoformat(r["data_interval_end"]) for r in runs]
    assert ends == expected
    starts = [datetime.fromisoformat(r["start_date"]) for r in runs]
    assert starts == sorted(starts)  # caught up in order, one at a time
    for run in runs:
        tasks = cluster.request(
            "GET", f"/api/v2/dags/outreach_nightly/dagRuns/{run['dag_run_id']}/taskInstances"
        )
        assert {t["state"] for t in tasks["task_instances"]} == {"success"}
    # the last night wrote the draft of each period under way: quarter, half-year, year
    written = [period.code for period, _ in reports_for_night(expected[-1].date())]
    assert len(written) == 3
    for period in written:
        assert (cluster.home / "reports" / period / f"bao-cao-{period}.docx").is_file()


def test_a_run_triggered_through_the_rest_api_writes_the_report(cluster, tmp_path):
    drop = tmp_path / "drop"
    generate(parse_period("2022-H1"), drop, seed=1)
    created = cluster.request(
        "POST",
        "/api/v2/dags/outreach_nightly/dagRuns",
        {"logical_date": None, "conf": {"period": "2022-H1", "drop_folder": str(drop)}},
    )
    run_id = created["dag_run_id"]
    assert created["triggered_by"] == "rest_api"

    def finished():
        run = cluster.get(f"/api/v2/dags/outreach_nightly/dagRuns/{run_id}")
        return run if run and run["state"] in ("success", "failed") else None

    run = cluster.wait(finished, "the triggered run", 300)
    assert run["state"] == "success"
    report = cluster.home / "reports" / "2022-H1"
    figures = json.loads((report / "figures.json").read_text(encoding="utf-8"))
    assert figures["is_draft"] is False
    by_id = {f["id"]: f["value"] for f in figures["figures"]}
    assert by_id["outputs.outlet_central.media.all"] > 50
    assert (report / "bao-cao-2022-H1.docx").is_file()
    assert (report / "nhac-nho-2022-H1.csv").is_file()


def trigger(cluster, conf: dict) -> str:
    return cluster.request(
        "POST", "/api/v2/dags/outreach_nightly/dagRuns", {"logical_date": None, "conf": conf}
    )["dag_run_id"]


def finished(cluster, run_id: str) -> dict:
    def done():
        run = cluster.get(f"/api/v2/dags/outreach_nightly/dagRuns/{run_id}")
        return run if run and run["state"] in ("success", "failed") else None

    return cluster.wait(done, f"run {run_id}", 400)


def tasks_of(cluster, run_id: str) -> dict[str, dict]:
    answer = cluster.request("GET", f"/api/v2/dags/outreach_nightly/dagRuns/{run_id}/taskInstances")
    return {task["task_id"]: task for task in answer["task_instances"]}


def test_a_killed_task_is_retried_and_two_runs_never_write_at_once(cluster):
    import psutil

    # the earlier tests built this period already: forget that build, so that this night's
    # build has the whole warehouse to make (as after a release) and a dbt to kill
    (cluster.home / "dbt" / "built-state.json").unlink(missing_ok=True)
    first = trigger(cluster, {"period": "2022-H1"})
    second = trigger(cluster, {"period": "2022-H1"})

    def dbt_build():
        for process in psutil.process_iter(["cmdline"]):
            line = " ".join(process.info["cmdline"] or [])
            if "dbt" in line and " build " in line and str(cluster.home) in line:
                return process
        return None

    dbt = cluster.wait(dbt_build, "the first run's dbt build", 300)
    task_process = dbt.parent()  # the task that started dbt: killed as by the OOM killer
    task_process.kill()
    dbt.kill()
    runs = [finished(cluster, run_id) for run_id in (first, second)]
    assert [run["state"] for run in runs] == ["success", "success"]
    assert tasks_of(cluster, first)["build"]["try_number"] == 2
    writers = []
    for run_id in (first, second):
        for task in tasks_of(cluster, run_id).values():
            if task["pool"] == "duckdb_writer":
                writers.append(
                    (
                        datetime.fromisoformat(task["start_date"]),
                        datetime.fromisoformat(task["end_date"]),
                        task["task_id"],
                    )
                )
    writers.sort()
    for (_, end, task), (start, _, following) in zip(writers, writers[1:], strict=False):
        assert end <= start, f"{task} and {following} wrote the warehouse at the same time"


def test_a_run_that_fails_for_good_alerts_the_operators(cluster):
    gx = cluster.home / "gx"
    shutil.rmtree(gx, ignore_errors=True)
    gx.write_text("not a folder: the checks cannot open their project")
    run_id = trigger(cluster, {"period": "2022-H1"})
    assert finished(cluster, run_id)["state"] == "failed"
    check = tasks_of(cluster, run_id)["check"]
    assert check["state"] == "failed" and check["try_number"] == 2  # retried, then given up

    def alerted():
        return [m for m in cluster.mailbox.messages if "check failed" in text_of(m)]

    [alert] = cluster.wait(alerted, "the failure alert", 180)
    assert alert["X-Envelope-To"] == "ops@test.example"
    assert f"outreach_nightly: check failed ({run_id})" in text_of(alert)


def test_the_portals_button_asks_airflow_to_run_now(cluster, tmp_path, monkeypatch):
    """The department's "Chạy ngay" triggers the DAG through Airflow's REST API, and the page
    shows the run and its state (this cluster's simple auth manager gives the token)."""
    import re

    from fastapi.testclient import TestClient
    from helpers import PORTAL_PASSWORD, add_portal_account, new_home

    from outreach.portal.app import create_app
    from outreach.portal.store import Store

    monkeypatch.setenv("OUTREACH_AIRFLOW_API", f"http://127.0.0.1:{cluster.port}")
    home = new_home(tmp_path / "portal-home")
    store = Store.for_home(home)
    add_portal_account(store, "so@example.vn", "Sở", "staff", province_code="20")
    browser = TestClient(create_app(home, store), base_url="https://testserver")
    form = browser.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    browser.post(
        "/dang-nhap", data={"csrf": csrf, "login": "so@example.vn", "password": PORTAL_PASSWORD}
    )
    page = browser.get("/so")
    assert "Chạy ngay" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    # one run at a time: the button asks only while no run is queued or running
    cluster.wait(
        lambda: all(run["state"] not in ("queued", "running") for run in cluster.runs()),
        "no run under way",
        400,
    )
    before = {run["dag_run_id"] for run in cluster.runs()}
    answer = browser.post("/so/chay-ngay", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    [created] = [run for run in cluster.runs() if run["dag_run_id"] not in before]
    assert created["triggered_by"] == "rest_api" and created["run_type"] == "manual"
    assert created["dag_run_id"] in browser.get("/so").text
    assert "run_now" in [event["action"] for event in store.audit_events()]
    # a second click while that run waits or runs is refused, and Airflow is not asked again
    again = browser.post("/so/chay-ngay", data={"csrf": csrf}, follow_redirects=False)
    assert again.status_code == 409 and created["dag_run_id"] in again.text
    assert len(cluster.runs()) == len(before) + 1
