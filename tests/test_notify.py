"""The notifiers of the nightly run against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from airflow.sdk import DAG
from mailserver import local_smtp, text_of

from outreach.orchestration.notify import FailureNotifier, ReminderNotifier


class TaskInstance:
    task_id = "build"
    try_number = 3
    map_index = 1  # `remind` is mapped, one per province: this is the second province's

    def __init__(self, xcom=None):
        self.xcom = xcom

    def xcom_pull(self, task_ids=None, map_indexes=None, **_):
        # a mapped remind must read its own province's list, not every province's
        return self.xcom if map_indexes == self.map_index else None


class Run:
    def __init__(self, run_type: str) -> None:
        self.run_type = run_type


@pytest.fixture
def mailbox(monkeypatch):
    with local_smtp() as box:
        for name, value in box.environment(
            OUTREACH_REMINDER_TO="a@test.example, b@test.example",
            OUTREACH_ALERT_TO="ops@test.example",
        ).items():
            monkeypatch.setenv(name, value)
        yield box


def test_the_reminder_list_goes_to_every_recipient(mailbox):
    ti = TaskInstance(
        {
            "subject": "[outreach] 2 trường hợp cần nhắc, tháng 05/2022",
            "html": "<p>Phòng Văn hóa và Thông tin huyện Đình Lập</p>",
            "count": 2,
        }
    )
    ReminderNotifier()({"ti": ti, "dag": None, "run_id": "scheduled__2022-07-11"})
    [message] = mailbox.messages
    assert message["X-Envelope-To"] == "a@test.example, b@test.example"
    text = text_of(message)
    assert "2 trường hợp cần nhắc, tháng 05/2022" in text
    assert "Phòng Văn hóa và Thông tin huyện Đình Lập" in text


def test_a_failure_alert_names_the_task_and_the_error(mailbox):
    context = {
        "ti": TaskInstance(),
        "dag": DAG("outreach_nightly", schedule=None),
        "run_id": "scheduled__2022-07-11",
        "exception": RuntimeError("dbt build failed <see log>"),
    }
    FailureNotifier()(context)
    [message] = mailbox.messages
    assert message["X-Envelope-To"] == "ops@test.example"
    text = text_of(message)
    assert "outreach_nightly: build failed (scheduled__2022-07-11)" in text
    assert "dbt build failed &lt;see log&gt;" in text and "3 tries" in text


def test_without_recipients_nothing_is_sent(mailbox, monkeypatch):
    monkeypatch.delenv("OUTREACH_REMINDER_TO")
    ReminderNotifier()({"ti": TaskInstance({"subject": "s", "html": "h", "count": 1}), "dag": None})
    assert mailbox.messages == []


def test_no_mail_for_an_empty_list_nor_for_a_night_being_caught_up(mailbox):
    ReminderNotifier()({"ti": TaskInstance({"subject": "s", "html": "h", "count": 0}), "dag": None})
    old_night = datetime.now(UTC) - timedelta(days=3)
    ReminderNotifier()(
        {
            "ti": TaskInstance({"subject": "s", "html": "h", "count": 4}),
            "dag": None,
            "data_interval_end": old_night,
            "dag_run": Run("scheduled"),
        }
    )
    assert mailbox.messages == []
    last_night = datetime.now(UTC) - timedelta(hours=10)
    ReminderNotifier()(
        {
            "ti": TaskInstance({"subject": "s", "html": "h", "count": 4}),
            "dag": None,
            "data_interval_end": last_night,
            "dag_run": Run("scheduled"),
        }
    )
    ReminderNotifier()(
        {
            "ti": TaskInstance({"subject": "s", "html": "h", "count": 4}),
            "dag": None,
            "data_interval_end": old_night,
            "dag_run": Run("manual"),
        }
    )
    assert len(mailbox.messages) == 2
