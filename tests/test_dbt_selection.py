"""The night's selection, on a small manifest: what the changes reach, and nothing else.

(`tests/test_incremental.py` checks on a real warehouse that what it builds equals a full
rebuild.)"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from outreach.core.calendar import CALENDAR_MONTH, ND09_2019, ReportingCalendar
from outreach.core.home import Home
from outreach.orchestration.dbt_selection import reached_months, select


def _months_back(day: date, count: int) -> list[date]:
    """The month of `day` and the `count` months before it."""
    months = [day.replace(day=1)]
    while len(months) <= count:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


def _node(kind: str, name: str, materialized: str = "table", tags=()) -> dict:
    return {
        "resource_type": kind,
        "name": name,
        "config": {"materialized": materialized},
        "tags": list(tags),
    }


MANIFEST = {
    "sources": {
        "source.outreach.submissions.rows": {
            "package_name": "outreach",
            "schema": "raw",
            "name": "rows",
        },
        "source.outreach.submissions.approvals": {
            "package_name": "outreach",
            "schema": "raw",
            "name": "approvals",
        },
    },
    "nodes": {
        "model.outreach.stg_rows": _node("model", "stg_rows", "view"),
        "model.outreach.fct_rows": _node("model", "fct_rows", "incremental"),
        "model.outreach.listed": _node("model", "listed", "view", tags=["as_of_date"]),
        "model.outreach.completeness": _node("model", "completeness", tags=["as_of_date"]),
        "model.outreach.dim_topics": _node("model", "dim_topics"),
        "seed.outreach.ref_topics": _node("seed", "ref_topics", "seed"),
        "test.outreach.not_null_stg_rows": _node("test", "not_null_stg_rows", "test"),
        "test.outreach.unique_fct_rows": _node("test", "unique_fct_rows", "test"),
        "test.outreach.unique_dim_topics": _node("test", "unique_dim_topics", "test"),
        "test.outreach.unique_completeness": _node("test", "unique_completeness", "test"),
    },
    "child_map": {
        "source.outreach.submissions.rows": ["model.outreach.stg_rows"],
        "source.outreach.submissions.approvals": [],
        "model.outreach.stg_rows": ["model.outreach.fct_rows", "test.outreach.not_null_stg_rows"],
        "model.outreach.fct_rows": ["test.outreach.unique_fct_rows"],
        "model.outreach.listed": ["model.outreach.completeness"],
        "model.outreach.completeness": ["test.outreach.unique_completeness"],
        "seed.outreach.ref_topics": ["model.outreach.dim_topics"],
        "model.outreach.dim_topics": ["test.outreach.unique_dim_topics"],
    },
}
CALENDAR = ReportingCalendar(CALENDAR_MONTH, 10)
KEY = CALENDAR.as_of_key(date(2026, 11, 15))
STATE = {
    "fingerprint": "f1",
    "sources": {"raw.rows": "10:1", "raw.approvals": "0:0"},
}


def test_no_earlier_build_or_a_changed_project_builds_everything():
    assert select(MANIFEST, None, "f1", STATE["sources"], KEY, KEY).full
    assert select(None, STATE, "f1", STATE["sources"], KEY, KEY).full
    changed = select(MANIFEST, STATE, "f2", STATE["sources"], KEY, KEY)
    assert changed.full and "changed" in changed.reason


def test_nothing_new_on_the_same_day_builds_nothing():
    assert select(MANIFEST, STATE, "f1", STATE["sources"], KEY, KEY).nothing


def test_new_rows_build_the_tables_they_reach_and_test_the_views_they_pass():
    selection = select(
        MANIFEST, STATE, "f1", {"raw.rows": "12:7", "raw.approvals": "0:0"}, KEY, KEY
    )
    assert not selection.full
    assert sorted(selection.names) == ["fct_rows", "not_null_stg_rows", "unique_fct_rows"]
    assert "rows" in selection.reason


def test_a_day_whose_key_is_the_same_builds_nothing():
    # 16 November: October's files were due on the 10th, November is not over
    assert CALENDAR.as_of_key(date(2026, 11, 16)) == KEY
    assert CALENDAR.as_of_key(date(2026, 11, 30)) == KEY
    assert select(
        MANIFEST, STATE, "f1", STATE["sources"], CALENDAR.as_of_key(date(2026, 11, 16)), KEY
    ).nothing


def test_tables_of_no_known_date_are_built_again():
    """No row in meta.builds (a warehouse made before it, or a build that left the dated
    tables out): the dated tables are built whatever the date."""
    selection = select(MANIFEST, STATE, "f1", STATE["sources"], KEY, None)
    assert sorted(selection.names) == ["completeness", "listed", "unique_completeness"]


@pytest.mark.parametrize(
    "day",
    [date(2026, 12, 1), date(2026, 12, 11), date(2026, 11, 10)],
    ids=["a month ended", "a month became due", "backfilled before a due date"],
)
def test_a_day_past_a_month_end_or_a_due_date_rebuilds_what_reads_the_date(day):
    selection = select(MANIFEST, STATE, "f1", STATE["sources"], CALENDAR.as_of_key(day), KEY)
    # the view that reads the date is re-created (the date is in its SQL); seeds never
    assert sorted(selection.names) == ["completeness", "listed", "unique_completeness"]
    assert "as-of date moved" in selection.reason


def test_the_key_moves_on_the_days_the_tables_read():
    """The key changes exactly where the models' own predicates on the date flip: the first of
    a month (date_trunc), the day after a window's last day (is_expected) and the day after a
    due date (missing rather than not yet due, a period closed)."""
    calendars = (
        CALENDAR,
        ReportingCalendar(ND09_2019, 10),
        ReportingCalendar(ND09_2019, 0),
        ReportingCalendar(CALENDAR_MONTH, 45),
    )
    for calendar in calendars:
        day, moves = date(2025, 1, 1), []
        while day < date(2027, 1, 1):
            following = day + timedelta(days=1)
            flips = following.day == 1 or any(
                boundary == day
                for month in _months_back(following, 4)
                for boundary in (calendar.window(month)[1], calendar.due_date(month))
            )
            if calendar.as_of_key(following) != calendar.as_of_key(day):
                moves.append(following)
            assert (calendar.as_of_key(following) != calendar.as_of_key(day)) == flips, following
            day = following
        assert 24 <= len(moves) <= 3 * 24


def test_a_negative_grace_is_refused():
    with pytest.raises(ValueError, match="on_time_days"):
        ReportingCalendar(CALENDAR_MONTH, -1)


# a model incremental by period below both raw tables: the rows are placed in months by their
# files, the approvals cannot be
BY_PERIOD = {
    **MANIFEST,
    "nodes": {
        **MANIFEST["nodes"],
        "model.outreach.measures": _node("model", "measures", "incremental", tags=["by_period"]),
    },
    "child_map": {
        **MANIFEST["child_map"],
        "source.outreach.submissions.approvals": ["model.outreach.measures"],
        "model.outreach.completeness": [
            "test.outreach.unique_completeness",
            "model.outreach.measures",
        ],
    },
}


def test_the_as_of_date_reaches_the_months_between_its_two_keys(tmp_path):
    """1 December after 15 November: November is now over, October's files were already due:
    the periods of October to December are recomputed (the earliest and latest month of the
    two keys and those between), no other."""
    moved = CALENDAR.as_of_key(date(2026, 12, 1))
    selection = select(BY_PERIOD, STATE, "f1", STATE["sources"], moved, KEY)
    assert selection.by_period and not selection.unplaced
    home = Home(tmp_path / "home")
    assert reached_months(home, STATE, selection, STATE["sources"], moved, KEY) == [
        "2026-10",
        "2026-11",
        "2026-12",
    ]
    # a year back (a build by hand as of an earlier date): every month between
    back = CALENDAR.as_of_key(date(2025, 11, 15))
    assert len(reached_months(home, STATE, selection, STATE["sources"], KEY, back) or []) == 14
    # no date known for the tables: every period
    assert reached_months(home, STATE, selection, STATE["sources"], moved, None) is None


def test_a_changed_table_that_cannot_be_placed_in_months_recomputes_every_period(tmp_path):
    changed = {"raw.rows": "10:1", "raw.approvals": "1:5"}
    selection = select(BY_PERIOD, STATE, "f1", changed, KEY, KEY)
    assert selection.by_period and selection.unplaced == ["approvals"]
    assert reached_months(Home(tmp_path / "home"), STATE, selection, changed, KEY, KEY) is None
    # the same table reaching no model incremental by period narrows nothing either way
    assert select(MANIFEST, STATE, "f1", changed, KEY, KEY).unplaced == []
