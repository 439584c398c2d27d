"""Reporting periods, defined once: quarters, half-years, years and programme phases, the same in
Python (the CLI, the DAG, the checks, the report) and in dbt (dim_periods, from the seed the
Python writes), under both reporting calendars."""

from __future__ import annotations

import json
import shutil
from datetime import date

import duckdb
import pytest
from click.testing import CliRunner
from helpers import new_home

from outreach.cli import main
from outreach.core.calendar import CALENDAR_MONTH, ND09_2019, ReportingCalendar
from outreach.core.home import CALENDAR_SEEDS_DIR
from outreach.core.periods import all_periods, parse_period, period_of_kind, seed_text
from outreach.orchestration.dbt import run_dbt


def test_the_seed_dbt_reads_is_the_periods_defined_in_python():
    assert (CALENDAR_SEEDS_DIR / "ref_periods.csv").read_text(encoding="utf-8") == seed_text()
    checked = CliRunner().invoke(main, ["periods", "--check"])
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize(
    ("code", "kind", "first", "last", "label", "base", "previous"),
    [
        ("2026-Q1", "quarter", "2026-01", "2026-03", "quý I năm 2026", "2025-Q1", "2025-Q4"),
        ("2026-Q4", "quarter", "2026-10", "2026-12", "quý IV năm 2026", "2025-Q4", "2026-Q3"),
        (
            "2026-H1",
            "half_year",
            "2026-01",
            "2026-06",
            "6 tháng đầu năm 2026",
            "2025-H1",
            "2025-H2",
        ),
        (
            "2026-H2",
            "half_year",
            "2026-07",
            "2026-12",
            "6 tháng cuối năm 2026",
            "2025-H2",
            "2026-H1",
        ),
        ("2025", "year", "2025-01", "2025-12", "năm 2025", "2024", "2024"),
        (
            "2021-2025",
            "phase",
            "2021-01",
            "2025-12",
            "giai đoạn 2021–2025",
            "2016-2020",
            "2016-2020",
        ),
    ],
)
def test_every_kind_of_period(code, kind, first, last, label, base, previous):
    period = parse_period(code)
    assert (period.kind, f"{period.first_month:%Y-%m}", f"{period.last_month:%Y-%m}") == (
        kind,
        first,
        last,
    )
    assert period.label_vi == label
    assert (period.base.code, period.previous.code) == (base, previous)
    assert len(period.months) == {"quarter": 3, "half_year": 6, "year": 12, "phase": 60}[kind]
    assert period_of_kind(kind, period.last_month) == period


def test_how_a_comparison_names_the_other_period():
    assert parse_period("2026-H1").base_label_vi == "cùng kỳ năm 2025"
    assert parse_period("2026-Q1").base_label_vi == "cùng kỳ năm 2025"
    assert parse_period("2025").base_label_vi == "năm 2024"
    assert parse_period("2026-2030").base_label_vi == "giai đoạn 2021–2025"


def test_the_trend_of_each_kind():
    assert [p.code for p in parse_period("2026-Q1").trend] == [
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
    ]
    assert [p.code for p in parse_period("2026-H1").trend] == [
        "2024-H2",
        "2025-H1",
        "2025-H2",
        "2026-H1",
    ]
    assert [p.code for p in parse_period("2021-2025").trend] == [
        "2021",
        "2022",
        "2023",
        "2024",
        "2025",
    ]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("2026-Q5", "is not a quarter (2026-Q1), a half-year (2026-H1)"),
        ("2026-H3", "is not a quarter"),
        ("2022-2026", "is not a programme phase: the phases are 2016-2020, 2021-2025"),
        ("2045", "outside the reporting calendar (2016-2040)"),
    ],
)
def test_a_period_that_is_none_is_refused_with_what_would_be(code, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_period(code)
    refused = CliRunner().invoke(main, ["check", "--period", code])
    assert refused.exit_code == 2 and words in refused.output


def test_under_nd09_a_quarter_runs_from_the_15th_to_the_14th():
    nd09 = ReportingCalendar(ND09_2019, 10)
    assert nd09.period_dates(parse_period("2026-Q1")) == (date(2025, 12, 15), date(2026, 3, 14))
    assert nd09.period_dates(parse_period("2021-2025")) == (date(2020, 12, 15), date(2025, 12, 14))
    assert nd09.closing_date(parse_period("2026-Q1")) == date(2026, 3, 25)


def test_the_periods_command_lists_a_year():
    listed = CliRunner().invoke(main, ["periods", "--year", "2026"])
    assert listed.exit_code == 0, listed.output
    assert "2026-Q1    quý I năm 2026           01/01/2026 - 31/03/2026" in listed.output
    assert "2026-2030  giai đoạn 2026–2030" in listed.output


def _dbt_days(home, calendar: str, monkeypatch) -> dict[str, tuple[date, date]]:
    """Each period of the seed with the first and last days dbt gives it under `calendar`
    (the macros dim_periods computes them with), from dbt itself."""
    monkeypatch.setenv("OUTREACH_REPORTING_CALENDAR", calendar)
    query = (
        "select period_code, {{ month_window_start('first_month') }} as first_day, "
        "{{ month_window_end('last_month') }} as last_day "
        "from {{ ref('stg_reference__periods') }}"
    )
    log = run_dbt(home, ["show", "--inline", query, "--output", "json", "--limit", "1000"])
    assert log is not None
    text = log.read_text(encoding="utf-8")
    shown = json.loads(text[text.index("{") : text.rindex("}") + 1])["show"]
    return {
        row["period_code"]: (
            date.fromisoformat(row["first_day"]),
            date.fromisoformat(row["last_day"]),
        )
        for row in shown
    }


@pytest.mark.parametrize("calendar", [CALENDAR_MONTH, ND09_2019])
def test_python_and_dbt_agree_on_every_period_under_either_calendar(
    demo, tmp_path, monkeypatch, calendar
):
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    rules = ReportingCalendar(calendar, 10)
    days = _dbt_days(home, calendar, monkeypatch)
    assert len(days) == len(all_periods()) == 180
    for period in all_periods():
        assert days[period.code] == rules.period_dates(period), period.code


def test_the_warehouse_holds_the_periods_of_its_months(demo):
    """The demo (2022-H1, built as of 11 July 2022): the periods from its registry's first
    month to the as-of month, each with its days and whether its report is final."""
    rules = ReportingCalendar(CALENDAR_MONTH, 10)
    with duckdb.connect(str(demo["home"].warehouse), read_only=True) as con:
        rows = con.execute(
            "select period_code, period_start_date, period_end_date, is_closed, "
            "base_period_code from marts.dim_periods"
        ).fetchall()
    found = {code: rest for code, *rest in rows}
    assert set(found) == {
        "2022-Q1",
        "2022-Q2",
        "2022-Q3",
        "2022-H1",
        "2022-H2",
        "2022",
        "2021-2025",
    }
    for code, (first, last, is_closed, base) in found.items():
        period = parse_period(code)
        assert (first, last) == rules.period_dates(period)
        assert is_closed == (rules.closing_date(period) <= date(2022, 7, 11))
        assert base == period.base.code
