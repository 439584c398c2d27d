"""Settings shared by the Python side and dbt, read from dbt_project.yml's vars (one place)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import yaml

from outreach.home import DBT_PROJECT_DIR
from outreach.periods import Period, month_end, period_containing


@dataclass(frozen=True)
class Settings:
    on_time_days: int
    province_code: str

    def due_date(self, month: date) -> date:
        return month_end(month) + timedelta(days=self.on_time_days)

    def closing_date(self, period: Period) -> date:
        """The first day on which every monthly file of the period was due."""
        return period.end + timedelta(days=self.on_time_days + 1)


@cache
def settings() -> Settings:
    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        variables = yaml.safe_load(handle)["vars"]
    return Settings(on_time_days=int(variables["on_time_days"]),
                    province_code=str(variables["province_code"]))


def period_for_run(data_interval_end: date) -> Period:
    """The half-year a nightly run reports on: the one holding the last month that has ended.

    Submissions for June arrive in July, so the runs of July still report on the first half-year;
    from 1 August they report (as a draft) on the second.
    """
    last_complete_month = data_interval_end.replace(day=1) - timedelta(days=1)
    return period_containing(last_complete_month)
