"""The reporting calendar: calendar months or the cut-off dates of Nghị định 09/2019, the same
rule in Python (ingest, the plan of a run) and in dbt (due dates, expected months, periods)."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest
from fast_tier import heavy_fixture
from helpers import PERIOD, document_text, new_home, write_csv

from ingest.load import inspect_file
from outreach.core.calendar import CALENDAR_MONTH, ND09_2019, ReportingCalendar
from outreach.core.home import Home
from outreach.core.periods import parse_period
from outreach.core.settings import CALENDAR_ENV, reports_for_night, settings
from outreach.orchestration import pipeline

ND09 = ReportingCalendar(ND09_2019, 10)
MONTHLY = ReportingCalendar(CALENDAR_MONTH, 10)


def test_windows_due_dates_and_periods():
    march = date(2022, 3, 1)
    assert MONTHLY.window(march) == (date(2022, 3, 1), date(2022, 3, 31))
    assert MONTHLY.due_date(march) == date(2022, 4, 10)
    assert ND09.window(march) == (date(2022, 2, 15), date(2022, 3, 14))
    assert ND09.due_date(march) == date(2022, 3, 24)
    assert ND09.window(date(2022, 1, 1)) == (date(2021, 12, 15), date(2022, 1, 14))
    assert ND09.period_dates(PERIOD) == (date(2021, 12, 15), date(2022, 6, 14))
    assert ND09.period_dates(parse_period("2022")) == (date(2021, 12, 15), date(2022, 12, 14))
    assert MONTHLY.period_dates(PERIOD) == (date(2022, 1, 1), date(2022, 6, 30))
    assert MONTHLY.closing_date(PERIOD) == date(2022, 7, 11)
    assert ND09.closing_date(PERIOD) == date(2022, 6, 25)
    with pytest.raises(ValueError, match="reporting calendar"):
        ReportingCalendar("lunar", 10)


def test_the_last_ended_month_and_the_period_a_run_reports_on(monkeypatch):
    assert MONTHLY.last_ended_month(date(2022, 7, 1)) == date(2022, 6, 1)
    assert MONTHLY.last_ended_month(date(2022, 6, 30)) == date(2022, 5, 1)
    assert ND09.last_ended_month(date(2022, 7, 15)) == date(2022, 7, 1)
    assert ND09.last_ended_month(date(2022, 7, 14)) == date(2022, 6, 1)
    assert [p.code for p, _ in reports_for_night(date(2022, 7, 20))] == ["2022"]
    monkeypatch.setenv(CALENDAR_ENV, ND09_2019)
    assert settings().calendar.kind == ND09_2019
    # July ends on the 14th: its quarter and half-year have a month ended by the 20th
    assert [p.code for p, _ in reports_for_night(date(2022, 7, 20))] == [
        "2022-Q3",
        "2022-H2",
        "2022",
    ]


def test_the_report_states_the_rule():
    assert "theo tháng dương lịch, từ ngày 01/01/2022 đến ngày 30/06/2022" in MONTHLY.rule_vi(
        PERIOD
    )
    assert "Nghị định số 09/2019/NĐ-CP" in ND09.rule_vi(PERIOD)
    assert "từ ngày 15/12/2021 đến ngày 14/06/2022" in ND09.rule_vi(PERIOD)


@pytest.mark.parametrize(
    ("calendar", "day", "accepted"),
    [
        (CALENDAR_MONTH, "20/02/2022", False),
        (CALENDAR_MONTH, "20/03/2022", True),
        (ND09_2019, "20/02/2022", True),
        (ND09_2019, "20/03/2022", False),
    ],
)
def test_ingest_checks_dates_against_the_calendar(
    tmp_path, reference, monkeypatch, calendar, day, accepted
):
    monkeypatch.setenv(CALENDAR_ENV, calendar)
    path = write_csv(
        tmp_path,
        "PVHTT-180_2022-03.csv",
        [[day, "Phòng, chống ma túy", "Truyền thanh cơ sở", "12", "", "", "", "", ""]],
    )
    inspection = inspect_file(path, reference)
    assert inspection.validated.is_accepted == accepted
    if not accepted:
        [problem] = inspection.validated.problems
        expected = "từ 15/02/2022 đến 14/03/2022" if calendar == ND09_2019 else "tháng 03/2022"
        assert expected in problem.message_vi


@heavy_fixture(scope="module")
def under_nd09(demo, tmp_path_factory):
    """The demo's warehouse in a home of its own, built, checked and reported on under Nghị định
    09 as of the day its 2022-H1 closes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CALENDAR_ENV, ND09_2019)
        home = new_home(tmp_path_factory.mktemp("nd09") / "home")
        shutil.copy(demo["home"].warehouse, home.warehouse)
        as_of = ND09.closing_date(PERIOD)
        pipeline.build(home, as_of)
        pipeline.check(home, PERIOD)
        files = pipeline.report(home, PERIOD, pdf=False)
    return {"home": home, "as_of": as_of, "files": files}


def test_dbt_and_the_report_follow_the_same_calendar(under_nd09):
    home, as_of = under_nd09["home"], under_nd09["as_of"]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "select report_month, due_date, is_expected from marts.fct_reporting_completeness"
        ).fetchall()
        period = con.execute(
            "select period_start_date, period_end_date, reporting_calendar "
            "from marts.dim_periods where period_code = ?",
            [PERIOD.code],
        ).fetchone()
    for month, due, is_expected in rows:
        assert due == ND09.due_date(month)
        assert is_expected == (ND09.window(month)[1] < as_of)
    assert period == (*ND09.period_dates(PERIOD), ND09_2019)
    assert ND09.rule_vi(PERIOD) in document_text(under_nd09["files"].docx)


def test_the_default_warehouse_follows_calendar_months(demo):
    with duckdb.connect(str(demo["home"].warehouse), read_only=True) as con:
        rows = con.execute(
            "select report_month, due_date from marts.fct_reporting_completeness"
        ).fetchall()
    assert rows and all(due == MONTHLY.due_date(month) for month, due in rows)
    assert MONTHLY.rule_vi(PERIOD) in document_text(demo["report"].docx)


def test_directive_documents_follow_the_calendar_of_the_period(under_nd09, tmp_path, monkeypatch):
    """Under Nghị định 09, a document of 20 June comes in July's file and belongs to H2: on the
    night of 25 July, after the night that closed 2022-H1."""
    import json

    from helpers import write_xlsx

    from ingest.load import ingest_inbox

    monkeypatch.setenv(CALENDAR_ENV, ND09_2019)
    shutil.copytree(under_nd09["home"].root, tmp_path / "home", symlinks=True)
    home = Home(tmp_path / "home")
    write_xlsx(
        home.inbox,
        "VANBAN_STTTT_2022-07.xlsx",
        [
            [
                "1200/STTTT-TTBCXB",
                "20/06/2022",
                "Tuyên truyền Ngày toàn quốc phòng, chống mua bán người 30/7",
                "Phòng, chống mua bán người",
            ]
        ],
        header=["Số, ký hiệu", "Ngày ban hành", "Trích yếu", "Chủ đề"],
    )
    assert ingest_inbox(home).accepted == ["VANBAN_STTTT_2022-07.xlsx"]
    pipeline.build(home, date(2022, 7, 25))
    pipeline.check(home, PERIOD)
    files = pipeline.report(home, PERIOD, pdf=False)
    figures = {
        f["id"]: f["value"]
        for f in json.loads(files.figures.read_text(encoding="utf-8"))["figures"]
    }
    assert figures["directives.count"] == 5  # the five of January to May only
    assert "1200/STTTT-TTBCXB" not in document_text(files.docx)
