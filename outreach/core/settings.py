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
from outreach.core.periods import HALF_YEAR, KINDS, QUARTER, YEAR, Period

CALENDAR_ENV = "OUTREACH_REPORTING_CALENDAR"
# the kinds of period whose reports the nightly run writes (a deployment's .env)
REPORT_KINDS_ENV = "OUTREACH_REPORT_PERIOD_KINDS"
DEFAULT_REPORT_KINDS = (QUARTER, HALF_YEAR, YEAR)


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


def report_kinds() -> tuple[str, ...]:
    """The kinds of period a night reports on: `OUTREACH_REPORT_PERIOD_KINDS` (comma-separated,
    of quarter, half_year, year, phase), default quarter, half-year and year."""
    value = os.environ.get(REPORT_KINDS_ENV, "").strip()
    if not value:
        return DEFAULT_REPORT_KINDS
    kinds = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise ValueError(
            f"{REPORT_KINDS_ENV}={value!r}: {', '.join(unknown) or 'no kind'} is not one of "
            f"{', '.join(KINDS)}"
        )
    return kinds


def reports_for_night(night: date, previous_night: date | None = None) -> list[tuple[Period, bool]]:
    """What a nightly run writes (`ReportingCalendar.reports_for_night`) for the configured
    kinds: on 2 August, the drafts of the third quarter, the second half-year and the year;
    on 11 July, also the final reports of the second quarter and the first half-year."""
    return settings().calendar.reports_for_night(night, report_kinds(), previous_night)


# whether the deployment cross-checks claimed items against what outlets published (their feeds
# and sitemaps): off unless turned on, since it reads the outlets' sites every night
CROSSCHECK_ENV = "OUTREACH_CROSSCHECK"


def crosscheck_enabled() -> bool:
    """`OUTREACH_CROSSCHECK` is on (1, true, yes, on): the night collects, the portal shows the
    "đối chiếu" column and the report its annex."""
    return os.environ.get(CROSSCHECK_ENV, "").strip().lower() in ("1", "true", "yes", "on")
