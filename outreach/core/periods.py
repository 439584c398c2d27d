"""Reporting periods, defined once: quarters, half-years, years and programme phases.

A period is a run of whole months (by their labels: the file of March is March's whatever days
it covers, see `calendar.ReportingCalendar`):

| kind | code | months | named |
| --- | --- | --- | --- |
| `quarter` | `2026-Q1` … `2026-Q4` | 3 | "quý I năm 2026" |
| `half_year` | `2026-H1`, `2026-H2` | 6 | "6 tháng đầu năm 2026", "6 tháng cuối năm 2026" |
| `year` | `2026` | 12 | "năm 2026" |
| `phase` | `2021-2025`, `2026-2030` | 60 | "giai đoạn 2021–2025" |

A phase is one of the five-year programme periods (2016–2020, 2021–2025, 2026–2030, …) that
national programmes such as the one against human trafficking run for; it is reviewed at its end
("tổng kết giai đoạn").

Each period is compared with its base ("so với cùng kỳ"): the same period one year earlier, or
for a phase the phase before; and, in the annex, with the previous period of its kind ("so với
kỳ trước"). Its trend is the run of periods a report's chart shows: eight quarters, four
half-years, four years, or the years of a phase.

dbt reads the same periods from the seed `dbt_project/calendar/ref_periods.csv`, which
`outreach periods --write` generates from this module (`seed_rows`); a test fails when it is
stale, and another when dbt's first and last days of a period differ from `calendar`'s.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property

QUARTER, HALF_YEAR, YEAR, PHASE = "quarter", "half_year", "year", "phase"
KINDS = (QUARTER, HALF_YEAR, YEAR, PHASE)
KIND_LABELS_VI = {QUARTER: "quý", HALF_YEAR: "6 tháng", YEAR: "năm", PHASE: "giai đoạn"}
# the years the calendar (and its seed) covers; a period outside it is refused
FIRST_YEAR, LAST_YEAR = 2016, 2040
# the programme phases: five years each, the first from 2016 (2016-2020, 2021-2025, ...)
PHASE_YEARS = 5
PHASE_ORIGIN = 2016

# every period code, for other places that check one before parsing it (the DAG's param, the
# portal's file names)
PERIOD_PATTERN = r"\d{4}(?:-(?:H[12]|Q[1-4]|\d{4}))?"
_CODE = re.compile(
    r"^(?P<year>\d{4})(?:-(?:H(?P<half>[12])|Q(?P<quarter>[1-4])|(?P<last_year>\d{4})))?$"
)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
EN_DASH = "\u2013"
# how many periods of which kind a report's trend chart shows, ending with the report's own
TREND = {QUARTER: (QUARTER, 8), HALF_YEAR: (HALF_YEAR, 4), YEAR: (YEAR, 4)}


def add_months(month: date, count: int) -> date:
    """The first of the month `count` months after `month` (a first of month); before it when
    `count` is negative."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    following = add_months(month.replace(day=1), 1)
    return date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True)
class Period:
    """A reporting period: its code, its kind and the months it covers (first days)."""

    code: str
    kind: str
    first_month: date
    last_month: date

    @property
    def year(self) -> int:
        """The year of its first month (a phase's first year)."""
        return self.first_month.year

    @property
    def start(self) -> date:
        """The first day of its first month (the days a file covers: `calendar`)."""
        return self.first_month

    @property
    def end(self) -> date:
        """The last day of its last month."""
        return month_end(self.last_month)

    @cached_property
    def months(self) -> list[date]:
        count = (self.last_month.year - self.year) * 12 + self.last_month.month - self.start.month
        return [add_months(self.first_month, number) for number in range(count + 1)]

    def contains(self, day: date) -> bool:
        """Whether the month of `day` (a date, or anything with a year and a month) is one of
        its months."""
        return self.first_month <= date(day.year, day.month, 1) <= self.last_month

    @property
    def label_vi(self) -> str:
        """How the report names it: "quý I năm 2026", "6 tháng đầu năm 2026", "năm 2026",
        "giai đoạn 2021–2025"."""
        if self.kind == QUARTER:
            return f"quý {ROMAN[(self.first_month.month + 2) // 3]} năm {self.year}"
        if self.kind == HALF_YEAR:
            side = "đầu" if self.first_month.month == 1 else "cuối"
            return f"6 tháng {side} năm {self.year}"
        if self.kind == PHASE:
            return f"giai đoạn {self.year}{EN_DASH}{self.last_month.year}"
        return f"năm {self.year}"

    @property
    def short_label_vi(self) -> str:
        """Its name where there is little room (a chart's axis): "Q1/2026", "6T đầu/2026",
        "2026", "2021–2025"."""
        if self.kind == QUARTER:
            return f"Q{(self.first_month.month + 2) // 3}/{self.year}"
        if self.kind == HALF_YEAR:
            return f"6T {'đầu' if self.first_month.month == 1 else 'cuối'}/{self.year}"
        if self.kind == PHASE:
            return f"{self.year}{EN_DASH}{self.last_month.year}"
        return str(self.year)

    @property
    def base(self) -> Period:
        """The period it is compared with ("cùng kỳ"): the same one a year earlier; for a
        phase, the phase before."""
        if self.kind == PHASE:
            return self.previous
        return self.shifted(-12)

    @property
    def base_label_vi(self) -> str:
        """The comparison as a report words it: "cùng kỳ năm 2025", "năm 2024" (a year is
        compared with the year before), "giai đoạn 2016–2020"."""
        if self.kind in (QUARTER, HALF_YEAR):
            return f"cùng kỳ năm {self.base.year}"
        return self.base.label_vi

    @property
    def previous(self) -> Period:
        """The period of the same kind just before ("kỳ trước")."""
        return self.shifted(-len(self.months))

    def shifted(self, months: int) -> Period:
        """The period of the same kind `months` earlier or later."""
        first = add_months(self.first_month, months)
        return _of_kind(self.kind, first)

    @property
    def trend(self) -> list[Period]:
        """The periods a report's chart shows, oldest first, ending with this one (a phase:
        its years)."""
        if self.kind == PHASE:
            return [_parse(str(year)) for year in range(self.year, self.last_month.year + 1)]
        kind, count = TREND[self.kind]
        return [self.shifted(-len(self.months) * back) for back in range(count - 1, -1, -1)]


def _of_kind(kind: str, first_month: date) -> Period:
    year, month = first_month.year, first_month.month
    if kind == QUARTER:
        return _parse(f"{year}-Q{(month + 2) // 3}")
    if kind == HALF_YEAR:
        return _parse(f"{year}-H{1 if month <= 6 else 2}")
    if kind == PHASE:
        return _parse(f"{year}-{year + PHASE_YEARS - 1}")
    return _parse(str(year))


def parse_period(code: str) -> Period:
    """The period a code names; ValueError (English, for engineers and the CLI) otherwise."""
    period = _parse(code)
    if not in_calendar(period):
        raise ValueError(
            f"period {code!r} is outside the reporting calendar ({FIRST_YEAR}-{LAST_YEAR}); "
            "widen FIRST_YEAR/LAST_YEAR in outreach/core/periods.py and write the seed again "
            "(`outreach periods --write`)"
        )
    return period


def latest_first(periods: list[Period]) -> list[Period]:
    """The latest first; of those ending in the same month, the longest (the year, then its
    half-year, then its quarter)."""
    return sorted(periods, key=lambda period: (period.last_month, len(period.months)), reverse=True)


def in_calendar(period: Period) -> bool:
    """Whether the calendar (and dbt's seed of it) has the period."""
    return period.year >= FIRST_YEAR and period.last_month.year <= LAST_YEAR


def _parse(code: str) -> Period:
    text = code.strip()
    match = _CODE.match(text)
    if not match:
        raise ValueError(
            f"period {code!r} is not a quarter (2026-Q1), a half-year (2026-H1), a year (2026) "
            "or a programme phase (2021-2025)"
        )
    year = int(match["year"])
    if match["quarter"]:
        first = date(year, 3 * int(match["quarter"]) - 2, 1)
        return Period(text, QUARTER, first, add_months(first, 2))
    if match["half"]:
        first = date(year, 1 if match["half"] == "1" else 7, 1)
        return Period(text, HALF_YEAR, first, add_months(first, 5))
    if match["last_year"]:
        last_year = int(match["last_year"])
        if last_year != year + PHASE_YEARS - 1 or (year - PHASE_ORIGIN) % PHASE_YEARS:
            starts = ", ".join(
                f"{first}-{first + PHASE_YEARS - 1}"
                for first in range(PHASE_ORIGIN, LAST_YEAR, PHASE_YEARS)
            )
            raise ValueError(f"period {code!r} is not a programme phase: the phases are {starts}")
        return Period(text, PHASE, date(year, 1, 1), date(last_year, 12, 1))
    return Period(text, YEAR, date(year, 1, 1), date(year, 12, 1))


def period_of_kind(kind: str, month: date) -> Period:
    """The period of `kind` that holds `month`."""
    if kind not in KINDS:
        raise ValueError(f"period kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind == PHASE:
        first = month.year - (month.year - PHASE_ORIGIN) % PHASE_YEARS
        return _of_kind(PHASE, date(first, 1, 1))
    return _of_kind(kind, month)


def all_periods() -> list[Period]:
    """Every period of the calendar, by kind, then in time."""
    found = []
    for kind in KINDS:
        period = period_of_kind(kind, date(FIRST_YEAR, 1, 1))
        while in_calendar(period):
            found.append(period)
            period = period.shifted(len(period.months))
    return found


SEED_COLUMNS = (
    "period_code",
    "period_kind",
    "first_month",
    "last_month",
    "month_count",
    "period_label_vi",
    "base_period_code",
    "previous_period_code",
    "trend_kind",
    "trend_first_month",
)


def seed_rows() -> list[dict[str, str]]:
    """The rows of dbt's `ref_periods` seed: every period with its months, names, base,
    previous period and trend."""
    rows = []
    for period in all_periods():
        trend = period.trend
        rows.append(
            {
                "period_code": period.code,
                "period_kind": period.kind,
                "first_month": period.first_month.isoformat(),
                "last_month": period.last_month.isoformat(),
                "month_count": str(len(period.months)),
                "period_label_vi": period.label_vi,
                "base_period_code": period.base.code if in_calendar(period.base) else "",
                "previous_period_code": period.previous.code
                if in_calendar(period.previous)
                else "",
                "trend_kind": trend[0].kind,
                "trend_first_month": trend[0].first_month.isoformat(),
            }
        )
    return rows


def seed_text() -> str:
    """The seed file `dbt_project/calendar/ref_periods.csv` as `outreach periods --write`
    writes it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SEED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(seed_rows())
    return buffer.getvalue()
