"""The DAG file: imports cleanly, is wired as documented, and plans the right period."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fast_tier import heavy_fixture

from outreach.core.home import DAGS_DIR
from outreach.core.periods import parse_period
from outreach.core.settings import REPORT_KINDS_ENV, reports_for_night
from outreach.orchestration.airflow_run import logical_date_for

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@heavy_fixture(scope="module")
def dag(tmp_path_factory):
    import os

    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR), known_pools={"default_pool", "duckdb_writer"})
    assert bag.import_errors == {}
    assert bag.captured_warnings == {}
    assert not bag.dag_warnings
    return bag.dags["outreach_nightly"]


def test_the_dag_file_imports_without_errors(dag):
    assert dag.dag_id == "outreach_nightly"


def test_tasks_run_in_order(dag):
    order = ["plan", "pull", "collect", "ingest", "build", "check", "publish", "report"]
    assert sorted(dag.task_ids) == sorted([*order, "remind"])
    assert "publish" in dag.get_task("remind").upstream_task_ids
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids


def test_every_task_that_opens_the_warehouse_is_in_the_one_slot_pool(dag):
    pools = {task.task_id: task.pool for task in dag.tasks}
    assert pools == {
        "plan": "default_pool",
        "pull": "default_pool",
        # the network only: it writes a file that ingest loads
        "collect": "default_pool",
        "ingest": "duckdb_writer",
        "build": "duckdb_writer",
        "check": "duckdb_writer",
        "publish": "duckdb_writer",
        # read only (the published copy): side by side, one per province
        "report": "default_pool",
        "remind": "default_pool",
    }
    assert all(task.retries == 2 for task in dag.tasks)


def test_reports_and_reminders_fan_out_per_province(dag):
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    for task_id in ("report", "remind"):
        task = dag.get_task(task_id)
        assert isinstance(task, MappedOperator), task_id
        assert "publish" in task.upstream_task_ids  # it returns the provinces
    # the writers are not mapped: one of each per run, in the one-slot pool
    for task_id in ("ingest", "build", "check", "publish"):
        assert not isinstance(dag.get_task(task_id), MappedOperator), task_id


def test_the_reminder_list_is_mailed_and_failures_alert(dag):
    from outreach.orchestration.notify import FailureNotifier, ReminderNotifier

    def callbacks(value) -> list:  # a mapped task keeps what it was given, not a list
        return value if isinstance(value, list) else [value]

    [mailer] = callbacks(dag.get_task("remind").on_success_callback)
    assert isinstance(mailer, ReminderNotifier)
    for task in dag.tasks:
        assert any(
            isinstance(callback, FailureNotifier)
            for callback in callbacks(task.on_failure_callback)
        ), task.task_id


def test_every_task_has_a_timeout(dag):
    from datetime import timedelta

    for task in dag.tasks:
        assert task.execution_timeout == timedelta(minutes=120), task.task_id


def test_documented(dag):
    assert dag.doc_md and "outreach_nightly" in dag.doc_md
    assert all(task.doc_md for task in dag.tasks)


def test_nightly_at_two_in_vietnam_with_a_real_data_interval(dag):
    timetable = dag.timetable
    assert type(timetable).__name__ == "CronDataIntervalTimetable"
    assert timetable.expression == "0 2 * * *"
    assert str(timetable.timezone) == "Asia/Ho_Chi_Minh"
    assert dag.catchup is False


@pytest.mark.parametrize(
    "interval_end, reports",
    [
        # June's files come in July: the quarter and the half-year stay drafts until they are due
        (date(2022, 7, 2), [("2022-Q2", False), ("2022-H1", False), ("2022", False)]),
        # the first night after they were all due: both final; the year goes on
        (date(2022, 7, 11), [("2022-Q2", True), ("2022-H1", True), ("2022", False)]),
        (date(2022, 7, 31), [("2022", False)]),  # July has not ended: no Q3 or H2 draft yet
        (date(2022, 8, 1), [("2022-Q3", False), ("2022-H2", False), ("2022", False)]),
        (date(2023, 1, 5), [("2022-Q4", False), ("2022-H2", False), ("2022", False)]),
        (date(2023, 1, 11), [("2022-Q4", True), ("2022-H2", True), ("2022", True)]),
        (date(2023, 2, 1), [("2023-Q1", False), ("2023-H1", False), ("2023", False)]),
    ],
)
def test_the_reports_a_nightly_run_writes(interval_end, reports):
    assert [(p.code, final) for p, final in reports_for_night(interval_end)] == reports


def test_a_night_after_nights_missed_writes_the_finals_it_missed(monkeypatch):
    """The machine was off from 5 to 20 July: the first night back writes the second quarter's
    and the first half-year's final reports, which closed on 11 July."""
    night = reports_for_night(date(2022, 7, 20), previous_night=date(2022, 7, 5))
    assert [(p.code, final) for p, final in night] == [
        ("2022-Q2", True),
        ("2022-H1", True),
        ("2022", False),
    ]
    monkeypatch.setenv(REPORT_KINDS_ENV, "half_year, phase")
    assert [p.code for p, _ in reports_for_night(date(2022, 8, 1))] == ["2022-H2", "2021-2025"]
    monkeypatch.setenv(REPORT_KINDS_ENV, "month")
    with pytest.raises(ValueError, match="month is not one of"):
        reports_for_night(date(2022, 8, 1))


def test_a_run_for_a_closed_period_pretends_to_be_the_night_after_it_closed():
    when = logical_date_for(parse_period("2022-H1"), now=datetime(2026, 11, 28, 9, tzinfo=LOCAL))
    assert when == datetime(2022, 7, 11, 2, 0, tzinfo=LOCAL)


def test_a_run_for_the_period_in_progress_is_last_night():
    when = logical_date_for(parse_period("2026-H2"), now=datetime(2026, 11, 28, 9, tzinfo=LOCAL))
    assert when == datetime(2026, 11, 28, 2, 0, tzinfo=LOCAL)
    early = logical_date_for(parse_period("2026-H2"), now=datetime(2026, 11, 28, 1, tzinfo=LOCAL))
    assert early == datetime(2026, 11, 27, 2, 0, tzinfo=LOCAL)
