"""E-mail from the nightly run: the reminder list to the department, and an alert on failure.

Both are Airflow notifiers on the SMTP provider's `SmtpNotifier`, sent through the Airflow
connection `smtp_default` (for example `AIRFLOW_CONN_SMTP_DEFAULT` in the environment, see
docs/operators.md, "E-mail"). Recipients come from the environment, never from the repository:

- `OUTREACH_REMINDER_TO`: who receives the reminder list (comma-separated); unset, none is sent;
- `OUTREACH_ALERT_TO`: who is told when a task fails for good; unset, no alert is sent.

A notifier with no recipients logs that it sent nothing; a mail server that is down fails the
callback, which Airflow logs without failing the task.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

from airflow.providers.smtp.notifications.smtp import SmtpNotifier

log = logging.getLogger(__name__)

REMINDER_TO_ENV = "OUTREACH_REMINDER_TO"
ALERT_TO_ENV = "OUTREACH_ALERT_TO"
FROM_ENV = "OUTREACH_MAIL_FROM"
MAX_AGE_HOURS = 36  # older nights are catch-up runs


def _recipients(variable: str) -> list[str]:
    return [
        address.strip() for address in os.environ.get(variable, "").split(",") if address.strip()
    ]


class _ConfiguredNotifier(SmtpNotifier):
    """An SmtpNotifier that sends nothing, and says so, when nobody is configured to receive."""

    def notify(self, context) -> None:
        if not self.to:
            log.info("%s: no recipients configured, nothing sent", type(self).__name__)
            return
        super().notify(context)


class ReminderNotifier(_ConfiguredNotifier):
    """Sends the reminder list the `remind` task returned (its XCom: subject and HTML).

    Nothing is sent when nobody is to be chased, nor for a scheduled night being caught up (its
    data interval ended more than a day and a half before): the department gets one list, the
    latest. A run somebody asked for (manual, backfill) always sends.
    """

    def __init__(self, task_id: str = "remind", **kwargs) -> None:
        # subject and body come from the task's XCom in notify(), not from templates: a mapped
        # `remind` (one per province) shares this object, and a rendered template would stay
        # rendered with the first province's list
        super().__init__(
            to=_recipients(REMINDER_TO_ENV),
            from_email=os.environ.get(FROM_ENV) or None,
            subject="",
            html_content="",
            **kwargs,
        )
        self.task_id = task_id

    def notify(self, context) -> None:
        ti = context["ti"]
        reminded = ti.xcom_pull(task_ids=self.task_id, map_indexes=ti.map_index) or {}
        if not reminded.get("count"):
            log.info("reminder list empty: nothing sent")
            return
        interval_end = context.get("data_interval_end")
        scheduled = getattr(context.get("dag_run"), "run_type", None) == "scheduled"
        if (
            scheduled
            and interval_end is not None
            and datetime.now(UTC) - interval_end > timedelta(hours=MAX_AGE_HOURS)
        ):
            log.info("a night being caught up (%s): its reminder list is not sent", interval_end)
            return
        self.subject, self.html_content = reminded["subject"], reminded["html"]
        super().notify(context)


class FailureNotifier(_ConfiguredNotifier):
    """Tells the operators that a task of the nightly run failed after its retries."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            to=_recipients(ALERT_TO_ENV),
            from_email=os.environ.get(FROM_ENV) or None,
            subject="[outreach] {{ dag.dag_id }}: {{ ti.task_id }} failed ({{ run_id }})",
            html_content=(
                # only what every run has: a run triggered without a logical date has none
                "<p>Task <b>{{ ti.task_id }}</b> of <b>{{ dag.dag_id }}</b> failed after "
                "{{ ti.try_number }} tries, run {{ run_id }}.</p><p>{{ exception | e }}</p>"
            ),
            **kwargs,
        )
