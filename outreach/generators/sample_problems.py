"""The problems the demo plants for the pipeline to surface, each a small function in `PROBLEMS`,
and where each falls (`plan`): on the districts' offices and BAO-LS until June 2025, on the
communes' offices and BPTTH-LS after.

A problem acts on a month's file while it is being made, at one of its stages: before its rows
are drawn (`DRAW`: whether it is sent at all, what its rows hold), on its rows (`ROWS`), on when
it is sent (`SEND`), on its bytes (`FILE`). A new planted problem is its function and one line
in `PROBLEMS`, and where it falls in `plan`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from outreach.core.registry import Reference, Source
from outreach.generators.sample_activity import KeyArea, MonthlyActivity
from outreach.generators.sample_files import Row, file_name_of, render, sent_at

DRAW, ROWS, SEND, FILE = "draw", "rows", "send", "file"


@dataclass
class MonthFile:
    """A source's file of a month while it is being made: what a planted problem changes."""

    source: Source
    month: date
    file_name: str
    is_sent: bool = True
    # how its rows are drawn
    trafficking: bool = True
    loudspeaker_factor: int = 1
    is_empty: bool = False
    rows: list[Row] = field(default_factory=list)
    sent: datetime | None = None
    data: bytes = b""
    # versions sent before this one (a correction's first): (file name, bytes, when sent)
    earlier: list[tuple[str, bytes, datetime]] = field(default_factory=list)


@dataclass(frozen=True)
class Sampling:
    """What a problem may use besides the file: the period's random stream, the registry, the
    moment of generating (a period under way), the key-area commune whose counselling is
    planted over its population."""

    rng: random.Random
    reference: Reference
    now: datetime
    crowded_area: KeyArea


# --- the problems, each in a month's file -----------------------------------------------------


def never_submitted(file: MonthFile, sampling: Sampling) -> None:
    file.is_sent = False


def no_grassroots_activity(file: MonthFile, sampling: Sampling) -> None:
    """A local office's month with no grassroots activity on human trafficking."""
    file.trafficking = False


def outlier(file: MonthFile, sampling: Sampling) -> None:
    """Loudspeaker broadcasts six times the office's usual level."""
    file.loudspeaker_factor = 6


def no_trafficking_item(file: MonthFile, sampling: Sampling) -> None:
    """A provincial outlet's month with no item on human trafficking."""
    file.trafficking = False


def empty_report(file: MonthFile, sampling: Sampling) -> None:
    """A valid "nothing this month" file: a header and no rows."""
    file.is_empty = True


def film_screening_without_people(file: MonthFile, sampling: Sampling) -> None:
    """Film screenings without the number of people (one added if the month has none)."""
    if not any(row.output_type == "chieu_phim" for row in file.rows):
        file.rows.append(
            Row(
                file.month.replace(day=12),
                "ma_tuy",
                "chieu_phim",
                1,
                commune_code=file.source.commune_code,
            )
        )
    for row in file.rows:
        if row.output_type == "chieu_phim":
            row.people = None


def counselling_over_population(file: MonthFile, sampling: Sampling) -> None:
    """More people counselled in a key-area commune than its at-risk population."""
    area = sampling.crowded_area
    file.rows.append(
        Row(
            file.month.replace(day=20),
            "mua_ban_nguoi",
            "tu_van",
            1,
            commune_code=area.code,
            people=area.population + 400,
        )
    )


def late(file: MonthFile, sampling: Sampling) -> None:
    """Received on day 25 of the next month (or now, in a period under way)."""
    file.sent = min(sent_at(sampling.rng, file.month, 25), sampling.now)


def corrupt_file(file: MonthFile, sampling: Sampling) -> None:
    """A workbook cut in half."""
    file.data = file.data[: len(file.data) // 2]


def invalid_rows(file: MonthFile, sampling: Sampling) -> None:
    """The mistakes people make: a count in words, a counselling row without its commune, a
    day outside the month."""
    file.data = render(
        file.source.code, file.month, _break(file.rows, file.month), sampling.reference
    )


def correction(file: MonthFile, sampling: Sampling) -> None:
    """A first version with a loudspeaker count typed ten times too high, then the `_r2`
    that replaces it nine days later."""
    assert file.sent is not None  # acts once the file has its sending time
    wrong = [
        Row(**{**vars(row), "quantity": row.quantity * 10})
        if row.output_type == "truyen_thanh_co_so"
        else row
        for row in file.rows
    ]
    first = render(file.source.code, file.month, wrong, sampling.reference)
    file.earlier.append((file.file_name, first, file.sent))
    file.file_name = file_name_of(file.source.code, file.month, "_r2")
    file.sent = file.sent + timedelta(days=9)


@dataclass(frozen=True)
class Problem:
    kind: str  # as the result lists it (Planted.kind)
    stage: str  # when it acts on the month's file: DRAW, ROWS, SEND or FILE
    plant: Callable[[MonthFile, Sampling], None]
    names_file: bool = True  # the result names the file it is in (else the month's rows)


# in the order they act within a stage, and are listed in the result
PROBLEMS = (
    Problem("never_submitted", DRAW, never_submitted, names_file=False),
    Problem("no_grassroots_activity", DRAW, no_grassroots_activity, names_file=False),
    Problem("outlier", DRAW, outlier, names_file=False),
    Problem("no_trafficking_item", DRAW, no_trafficking_item),
    Problem("empty_report", DRAW, empty_report),
    Problem("film_screening_without_people", ROWS, film_screening_without_people, names_file=False),
    Problem("counselling_over_population", ROWS, counselling_over_population, names_file=False),
    Problem("late", SEND, late),
    Problem("corrupt_file", FILE, corrupt_file),
    Problem("invalid_rows", FILE, invalid_rows),
    Problem("correction", FILE, correction),
)


# --- where each falls -------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Which source and month each planted problem falls on (by its kind), and the key-area
    commune of `counselling_over_population`."""

    at: dict[str, tuple[str, date | None]]
    crowded_area: KeyArea

    def problems_in(self, source_code: str, month: date) -> list[Problem]:
        return [p for p in PROBLEMS if self.at.get(p.kind) == (source_code, month)]


def plan(reference: Reference, activity: MonthlyActivity, plant_problems: bool) -> Plan:
    """Where the period's problems fall: each at a month of its own (the last month of a
    shorter period); nowhere without `plant_problems`."""
    months = activity.months

    def planted_month(position: int) -> date | None:
        return months[min(position, len(months) - 1)] if plant_problems else None

    at = _planted_sources(reference, activity, planted_month)
    crowded_area, at["counselling_over_population"] = at.pop("crowded")
    at["empty_report"] = ("TW-QDND", planted_month(1))
    at["corrupt_file"] = ("TW-VOV", planted_month(4))
    return Plan(at, crowded_area)


def _planted_sources(reference: Reference, gen: MonthlyActivity, planted_month) -> dict:
    """Which source each planted problem falls on, by the sources registered in its month:
    the districts' offices and BAO-LS until June 2025, the communes' and BPTTH-LS after."""

    def kind_in(month: date | None) -> str:
        month = month or gen.months[0]  # nothing planted: any month of the period
        local = {
            source.kind
            for source in reference.sources.values()
            if source.kind in ("district", "commune") and source.is_active(month)
        }
        return "commune" if "commune" in local else "district"

    def offices(month: date | None) -> list[str]:
        return sorted(
            source.code
            for source in reference.sources.values()
            if source.kind == "commune" and source.is_active(month or gen.months[0])
        )

    roles: dict[str, object] = {}
    month = planted_month(3)
    roles["no_trafficking_item"] = ("BAO-LS" if kind_in(month) == "district" else "BPTTH-LS", month)
    by_district = {
        "never_submitted": ("PVHTT-189", 4),
        "late": ("PVHTT-184", 2),
        "correction": ("PVHTT-181", 1),
        "invalid_rows": ("PVHTT-186", 5),
        "outlier": ("PVHTT-185", 3),
        "film_screening_without_people": ("PVHTT-183", 4),
    }
    # the commune offices' counterparts, spread over the list of offices
    by_commune = {
        "never_submitted": -1,
        "late": 5,
        "correction": 10,
        "invalid_rows": 15,
        "outlier": 20,
        "film_screening_without_people": 25,
    }
    for role, (district_source, position) in by_district.items():
        month = planted_month(position)
        if kind_in(month) == "district":
            roles[role] = (district_source, month)
        else:
            roles[role] = (offices(month)[by_commune[role]], month)
    month = planted_month(2)
    if kind_in(month) == "district":
        roles["no_grassroots_activity"] = (
            _district_without_key_communes(reference, gen, month),
            month,
        )
    else:
        key_codes = {area.code for area in gen.key_areas_in(month or gen.months[0])}
        roles["no_grassroots_activity"] = (
            next(code for code in offices(month) if code.removeprefix("XA-") not in key_codes),
            month,
        )
    month = planted_month(3)
    in_month = [area for area in sorted(gen.counselled) if month is None or area.is_valid_in(month)]
    area = in_month[0] if in_month else sorted(gen.counselled)[0]
    if kind_in(month) == "district":
        district = reference.communes_on(month or gen.months[0])[area.code].district_code
        assert district is not None  # before the reform every commune is in a district
        roles["crowded"] = (area, (_district_source(reference, district), month))
    else:
        roles["crowded"] = (area, (f"XA-{area.code}", month))
    return roles


def _district_without_key_communes(
    reference: Reference, gen: MonthlyActivity, month: date | None
) -> str:
    day = month or gen.months[0]
    units = reference.communes_on(day)
    busy = {units[area.code].district_code for area in gen.key_areas_in(day)}
    return next(
        source.code
        for source in reference.sources.values()
        if source.kind == "district" and source.district_code not in busy
    )


def _district_source(reference: Reference, district_code: str) -> str:
    return next(
        source.code
        for source in reference.sources.values()
        if source.kind == "district" and source.district_code == district_code
    )


def _break(rows: list[Row], month: date) -> list[Row]:
    """The rows with mistakes people make: a count in words, a counselling row without commune."""
    broken = [Row(**vars(row)) for row in rows]
    broken[0].quantity = "hai mươi"  # type: ignore[assignment]
    counselling = next(
        (row for row in broken if row.output_type in ("tu_van", "chieu_phim")), broken[-1]
    )
    counselling.output_type, counselling.commune_code = "tu_van", None
    broken[-1].day = month.replace(day=28) - timedelta(days=40)
    return broken
