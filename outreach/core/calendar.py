"""The reporting calendar: which days a monthly submission covers, and when it is due.

Two rules, chosen in `dbt_project.yml` (var `reporting_calendar`, or the environment variable
`OUTREACH_REPORTING_CALENDAR`):

- `calendar_month` (default): the file of March covers 1-31 March;
- `nd09_2019`: the cut-off dates of Nghị định 09/2019/NĐ-CP on the reporting regime of state
  administrative bodies: the file of March covers 15 February - 14 March, so the first half-year
  runs from 15 December to 14 June and the year from 15 December to 14 December.

Either way a monthly file is due `on_time_days` days after the last day it covers. dbt has the
same rule in `macros/reporting_dates.sql`; a test checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from outreach.core.periods import Period, in_calendar, month_end, period_of_kind

CALENDAR_MONTH = "calendar_month"
ND09_2019 = "nd09_2019"
CALENDARS = (CALENDAR_MONTH, ND09_2019)


def _previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class ReportingCalendar:
    kind: str = CALENDAR_MONTH
    on_time_days: int = 10

    def __post_init__(self) -> None:
        if self.kind not in CALENDARS:
            raise ValueError(f"reporting calendar {self.kind!r} is not one of {CALENDARS}")
        if self.on_time_days < 0:
            # a file due before the last day it covers: no month could be on time
            raise ValueError(f"on_time_days is {self.on_time_days}: it cannot be negative")

    def window(self, month: date) -> tuple[date, date]:
        """The first and last day the monthly file of `month` covers."""
        month = month.replace(day=1)
        if self.kind == ND09_2019:
            return _previous_month(month).replace(day=15), month.replace(day=14)
        return month, month_end(month)

    def due_date(self, month: date) -> date:
        return self.window(month)[1] + timedelta(days=self.on_time_days)

    def month_of(self, day: date) -> date:
        """The month whose file covers `day` (the first of that month)."""
        month = day.replace(day=1)
        if self.kind == ND09_2019 and day.day >= 15:
            month = (month + timedelta(days=32)).replace(day=1)
        return month

    def period_dates(self, period: Period) -> tuple[date, date]:
        """The first and last day the period's figures cover."""
        return self.window(period.months[0])[0], self.window(period.months[-1])[1]

    def closing_date(self, period: Period) -> date:
        """The first day on which every monthly file of the period was due."""
        return self.due_date(period.months[-1]) + timedelta(days=1)

    def is_open(self, period: Period, day: date) -> bool:
        """Whether a report of the period on `day` is a draft with figures: at least one of its
        months has ended, and not every file of it was due yet."""
        return period.first_month <= self.last_ended_month(day) and day < self.closing_date(period)

    def reports_for_night(
        self, night: date, kinds: tuple[str, ...], previous_night: date | None = None
    ) -> list[tuple[Period, bool]]:
        """The reports a nightly run on `night` writes, as (period, is_final): the draft of
        each open period of `kinds`, and the final report of each that closed since the
        previous night (default: the day before; an earlier one after nights the machine was
        off). The shortest periods first."""
        previous_night = min(previous_night or night, night - timedelta(days=1))
        months, month = [], _previous_month(_previous_month(previous_night.replace(day=1)))
        while month <= night.replace(day=1):
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        chosen: dict[str, tuple[Period, bool]] = {}
        for kind in kinds:
            for month in months:
                period = period_of_kind(kind, month)
                if period.code in chosen or not in_calendar(period):
                    continue
                if previous_night < self.closing_date(period) <= night:
                    chosen[period.code] = (period, True)
                elif self.is_open(period, night):
                    chosen[period.code] = (period, False)
        return sorted(chosen.values(), key=lambda item: (len(item[0].months), item[0].first_month))

    def last_ended_month(self, day: date) -> date:
        """The latest month whose covered days have all passed by `day`."""
        month = day.replace(day=1)
        while self.window(month)[1] >= day:
            month = _previous_month(month)
        return month

    def last_due_month(self, day: date) -> date:
        """The latest month whose file was due before `day`."""
        month = day.replace(day=1)
        while self.due_date(month) >= day:
            month = _previous_month(month)
        return month

    def as_of_key(self, day: date) -> str:
        """All the warehouse's tables read of an as-of date `day`: the month it falls in (the
        months listed), the last month whose days have all passed (the months expected) and the
        last month whose file was due before it (a month missing rather than not yet due, a
        period closed, the months a rate counts). Two days with the same key build the same
        tables: the key moves on two days a month (the 1st and the day after a due date), three
        under Nghị định 09 (the 15th too), not every day."""
        return (
            f"{day:%Y-%m} expected-to:{self.last_ended_month(day):%Y-%m} "
            f"due-to:{self.last_due_month(day):%Y-%m}"
        )

    def rule_vi(self, period: Period) -> str:
        """The sentence the report prints to say which rule it used."""
        first, last = self.period_dates(period)
        span = f"từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"
        if self.kind == ND09_2019:
            return (
                f"Số liệu được tổng hợp theo thời gian chốt số liệu báo cáo quy định tại "
                f"Nghị định số 09/2019/NĐ-CP (báo cáo tháng tính từ ngày 15 tháng trước đến "
                f"ngày 14 tháng báo cáo), {span}; báo cáo tháng đúng hạn khi gửi trong "
                f"{self.on_time_days} ngày sau ngày chốt số liệu."
            )
        return (
            f"Số liệu được tổng hợp theo tháng dương lịch, {span}; báo cáo tháng đúng hạn "
            f"khi gửi trong {self.on_time_days} ngày sau khi hết tháng."
        )
