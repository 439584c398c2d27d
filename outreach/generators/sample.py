"""Demo submissions: the monthly files the Lạng Sơn sources send for a period, as people send them.

Deterministic for a seed (the same seed gives the same bytes). Calibrated so the report reads like
the real 2022-H1 report. Each month is sent by the sources registered for it: until June 2025 the
two provincial outlets and the eleven district offices, from July 2025 the merged outlet
(BPTTH-LS) and the 65 commune offices (XA-<code>), the central press throughout; the directive
documents by the Sở Thông tin và Truyền thông until February 2025, the Sở Văn hóa, Thể thao và Du
lịch after. The planted problems the pipeline must surface (listed for the districts; after the
reform the same kinds fall on the merged outlet and on commune offices):

- a provincial outlet month with no item on human trafficking (BAO-LS, 4th month);
- a district month never submitted (PVHTT-189, 5th month);
- a late submission (PVHTT-184, 3rd month, received on day 25 of the next month);
- a correction `_r2` that replaces an accepted file (PVHTT-181, 2nd month);
- two broken files: invalid rows (PVHTT-186, 6th month) and a corrupt workbook (TW-VOV, 5th month);
- a valid "nothing this month" file with a header and no rows (TW-QDND, 2nd month);
- a district month with no grassroots activity on human trafficking (the first district office
  without key-area communes, 3rd month);
- an outlier: loudspeaker broadcasts six times the district's usual level (PVHTT-185, 4th month);
- validation rules broken: more people counselled in a key-area commune than its at-risk
  population (4th month), film screenings without the number of people (PVHTT-183, 5th month).

Each file's modification time is set to the moment it was sent: ingest reads it as `received_at`.

With `published`, the provincial outlets' websites as their feeds show them (`sample_published`:
a sitemap per month, an RSS feed) go there too: what the outlets' files claim, published, except
the mismatches planted for the cross-check of claimed against published items.

By what it writes: `sample_activity` draws each source's month as rows, `sample_files` writes a
month's file as the source saves it, `sample_directives` writes the department's register of
directive documents, `sample_problems` plants the problems above (each a small function in a
table) and says where each falls, and `sample_published` writes the outlets' feeds.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path

from outreach.core.constants import LOCAL_TZ
from outreach.core.periods import HALF_YEAR, PHASE, Period, period_of_kind
from outreach.core.registry import Reference
from outreach.generators.sample_activity import MonthlyActivity, key_areas_of
from outreach.generators.sample_directives import write_directives
from outreach.generators.sample_files import (
    Planted,
    Row,
    SampleResult,
    file_name_of,
    render,
    sent_at,
    write_file,
)
from outreach.generators.sample_problems import (
    DRAW,
    FILE,
    ROWS,
    SEND,
    MonthFile,
    Problem,
    Sampling,
    plan,
)
from outreach.generators.sample_published import DEFAULT_BASE_URL, write_published

__all__ = ["Planted", "Row", "SampleResult", "generate"]


def generate(
    period: Period,
    inbox: Path,
    seed: int = 1,
    reference: Reference | None = None,
    *,
    plant_problems: bool = True,
    published: Path | None = None,
    published_base_url: str = DEFAULT_BASE_URL,
) -> SampleResult:
    """Write the period's demo submissions into `inbox` and say what was planted.

    With `plant_problems=False` every source sends a valid file on time each month, with at
    least one trafficking item for each provincial outlet: the clean baseline of the checks.
    With `published`, the provincial outlets' feeds as their websites serve them go into
    `published/<site>/` (served at `published_base_url`, which the sitemap index's addresses
    are on), adding the period's months to those already there; the files are the same bytes
    with or without it.
    A programme phase is written half-year by half-year, each as `--period` of that half-year
    writes it (the same bytes: a half-year sampled twice is one submission).
    """
    reference = reference or Reference.load()
    if period.kind == PHASE:
        result = SampleResult()
        half_year = period_of_kind(HALF_YEAR, period.first_month)
        while half_year.first_month <= period.last_month:
            part = generate(
                half_year,
                inbox,
                seed,
                reference,
                plant_problems=plant_problems,
                published=published,
                published_base_url=published_base_url,
            )
            result.files += part.files
            result.planted += part.planted
            half_year = half_year.shifted(6)
        return result
    activity = MonthlyActivity(period, seed, reference, key_areas_of(period))
    rng = activity.rng
    inbox.mkdir(parents=True, exist_ok=True)
    result = SampleResult()
    planted = plan(reference, activity, plant_problems)
    # a period still under way: only the months whose files have all been sent by now
    now = datetime.now(LOCAL_TZ)
    sent_by_now = [month for month in period.months if sent_at(random.Random(0), month, 9) <= now]
    sampling = Sampling(rng, reference, now, planted.crowded_area)
    # what the provincial outlets' files claim, for their published record
    claims: dict[tuple[str, date], list[Row]] = {}

    for source in reference.sources.values():
        if not source.submits_monthly:
            continue
        for month in sent_by_now:
            if not source.is_active(month):
                continue
            problems = planted.problems_in(source.code, month)
            file = MonthFile(source, month, file_name_of(source.code, month))

            _plant(DRAW, file, problems, sampling, result)
            if not file.is_sent:
                continue
            file.rows = activity.month_rows(
                source,
                month,
                trafficking=file.trafficking,
                loudspeaker_factor=file.loudspeaker_factor,
                empty=file.is_empty,
            )
            _plant(ROWS, file, problems, sampling, result)
            if source.kind == "outlet_provincial":
                claims[(source.code, month)] = list(file.rows)
            file.sent = sent_at(rng, month, rng.randint(1, 8))
            _plant(SEND, file, problems, sampling, result)
            file.data = render(source.code, month, file.rows, reference)
            _plant(FILE, file, problems, sampling, result)
            for file_name, data, sent in file.earlier:
                write_file(inbox, file_name, data, sent, result)
            write_file(inbox, file.file_name, file.data, file.sent, result)

    write_directives(period, inbox, rng, reference, sent_by_now, result)
    if published is not None:
        result.planted += write_published(
            claims,
            published,
            reference,
            period_code=period.code,
            seed=seed,
            base_url=published_base_url,
            plant_problems=plant_problems,
        )
    return result


def _plant(
    stage: str, file: MonthFile, problems: list[Problem], sampling: Sampling, result: SampleResult
) -> None:
    """Plant in the month's file the problems that act at `stage`, each listed in the result."""
    for problem in problems:
        if problem.stage == stage:
            problem.plant(file, sampling)
            result.planted.append(
                Planted(
                    problem.kind,
                    file.source.code,
                    f"{file.month:%Y-%m}",
                    file.file_name if problem.names_file else None,
                )
            )
