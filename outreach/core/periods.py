"""Reporting periods: a half-year (`2022-H1`, `2022-H2`) or a year (`2022`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-H(?P<half>[12]))?$")


@dataclass(frozen=True)
class Period:
    code: str
    year: int
    half: int | None

    @property
    def first_month(self) -> int:
        return 7 if self.half == 2 else 1

    @property
    def last_month(self) -> int:
        return 6 if self.half == 1 else 12

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def months(self) -> list[date]:
        return [date(self.year, m, 1) for m in range(self.first_month, self.last_month + 1)]

    @property
    def label_vi(self) -> str:
        if self.half == 1:
            return f"6 tháng đầu năm {self.year}"
        if self.half == 2:
            return f"6 tháng cuối năm {self.year}"
        return f"năm {self.year}"


def parse_period(code: str) -> Period:
    match = _PERIOD.match(code.strip())
    if not match:
        raise ValueError(f"period {code!r} is not YYYY, YYYY-H1 or YYYY-H2")
    half = int(match["half"]) if match["half"] else None
    return Period(code.strip(), int(match["year"]), half)


def period_containing(day: date, *, half_year: bool = True) -> Period:
    if not half_year:
        return parse_period(f"{day.year}")
    return parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")


def month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)
