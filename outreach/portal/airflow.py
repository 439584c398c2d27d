"""Asking Airflow to run the pipeline now, through its REST API, and reading how the last run
went: the department's "Chạy ngay" button.

`OUTREACH_AIRFLOW_API` is the API server's address (`http://airflow-apiserver:8080` in the
compose deployment, `http://localhost:8080` beside `outreach airflow`); without it the button is
not shown. The portal logs in with `OUTREACH_AIRFLOW_USERNAME` and `OUTREACH_AIRFLOW_PASSWORD`
(an Airflow account allowed to trigger the DAG); without them it asks for a token without
credentials, which only Airflow's simple auth manager with every user an admin gives (a local
embedded default, never production).
"""

from __future__ import annotations

import os
from contextlib import closing
from datetime import UTC, datetime

import httpx

from outreach.core.constants import DAG_ID

API_ENV = "OUTREACH_AIRFLOW_API"
USER_ENV = "OUTREACH_AIRFLOW_USERNAME"
CREDENTIAL_ENV = "OUTREACH_AIRFLOW_PASSWORD"
TIMEOUT_SECONDS = 15
STATE_LABELS = {
    "queued": "Đang chờ chạy",
    "running": "Đang chạy",
    "success": "Đã chạy xong",
    "failed": "Bị lỗi (bộ phận kỹ thuật đã được báo)",
}


class AirflowUnavailable(RuntimeError):
    pass


def api_url() -> str | None:
    return (os.environ.get(API_ENV) or "").rstrip("/") or None


def _client() -> httpx.Client:
    url = api_url()
    if url is None:
        raise AirflowUnavailable("OUTREACH_AIRFLOW_API is not set")
    client = httpx.Client(base_url=url, timeout=TIMEOUT_SECONDS)
    try:
        user, password = os.environ.get(USER_ENV), os.environ.get(CREDENTIAL_ENV)
        if user and password:
            answer = client.post("/auth/token", json={"username": user, "password": password})
        else:
            answer = client.get("/auth/token")
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        client.close()
        raise AirflowUnavailable(f"cannot log in to Airflow at {url}: {exc}") from exc
    return client


def trigger_run() -> dict:
    """A new run of the nightly DAG, now, for the period the DAG plans from today."""
    client = _client()
    with closing(client):
        try:
            # the DAG plans the period of the run's logical date: today's, as `outreach run` does
            moment = datetime.now(UTC).isoformat()
            answer = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": moment})
            answer.raise_for_status()
        except httpx.HTTPError as exc:
            raise AirflowUnavailable(f"Airflow refused the run: {exc}") from exc
        return answer.json()


def latest_run() -> dict | None:
    """The most recent run of the nightly DAG (any kind), or None."""
    client = _client()
    with closing(client):
        try:
            answer = client.get(
                f"/api/v2/dags/{DAG_ID}/dagRuns", params={"order_by": "-run_after", "limit": 1}
            )
            answer.raise_for_status()
        except httpx.HTTPError as exc:
            raise AirflowUnavailable(f"cannot read the runs: {exc}") from exc
        runs = answer.json().get("dag_runs") or []
        return runs[0] if runs else None


def run_moment(run: dict) -> datetime | None:
    """When a run started (queued, or asked for, until it starts), as Airflow's API gives it
    (ISO 8601, UTC); the pages show it in Vietnam's time."""
    for key in ("start_date", "queued_at", "run_after", "logical_date"):
        value = run.get(key)
        if value:
            try:
                moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


ACTIVE_STATES = ("queued", "running")


def active_runs() -> list[dict]:
    """The runs of the nightly DAG waiting or running now (any kind: scheduled, asked for)."""
    client = _client()
    with closing(client):
        try:
            answer = client.get(
                f"/api/v2/dags/{DAG_ID}/dagRuns",
                params={"state": list(ACTIVE_STATES), "order_by": "-run_after", "limit": 5},
            )
            answer.raise_for_status()
        except httpx.HTTPError as exc:
            raise AirflowUnavailable(f"cannot read the runs: {exc}") from exc
        return list(answer.json().get("dag_runs") or [])
