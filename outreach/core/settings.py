"""Settings shared by the Python side and dbt, read from dbt_project.yml's vars (one place).

`OUTREACH_REPORTING_CALENDAR` in the environment overrides the var `reporting_calendar`; the
dbt runs of `outreach` pass the value on, so ingest, dbt and the report always use one rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import cache

import yaml

from outreach.core.calendar import ReportingCalendar
from outreach.core.home import DBT_PROJECT_DIR
from outreach.core.periods import Period, period_containing

CALENDAR_ENV = "OUTREACH_REPORTING_CALENDAR"


@dataclass(frozen=True)
class Settings:
    on_time_days: int
    province_code: str
    calendar: ReportingCalendar

    def due_date(self, month: date) -> date:
        return self.calendar.due_date(month)

    def closing_date(self, period: Period) -> date:
        """The first day on which every monthly file of the period was due."""
        return self.calendar.closing_date(period)

    def dbt_vars(self) -> dict[str, str]:
        """What dbt must be told so that it uses the same rules."""
        return {"reporting_calendar": self.calendar.kind}


def settings() -> Settings:
    return _settings(os.environ.get(CALENDAR_ENV) or None)


@cache
def _settings(calendar_override: str | None) -> Settings:
    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        variables = yaml.safe_load(handle)["vars"]
    on_time_days = int(variables["on_time_days"])
    kind = calendar_override or str(variables["reporting_calendar"])
    return Settings(
        on_time_days=on_time_days,
        province_code=str(variables["province_code"]),
        calendar=ReportingCalendar(kind, on_time_days),
    )


def period_for_run(data_interval_end: date) -> Period:
    """The half-year a nightly run reports on: the one holding the last month that has ended.

    Submissions for June arrive in July, so the runs of July still report on the first half-year;
    from 1 August they report (as a draft) on the second (with the cut-off dates of Nghị định
    09/2019, a month ends on the 14th, and the dates move with it).
    """
    return period_containing(settings().calendar.last_ended_month(data_interval_end))
