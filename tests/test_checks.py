"""Quality checks: each planted problem is flagged; clean data raises no flag; a failing
expectation is a flag while a broken check is an error."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from conftest import PERIOD, new_home

from expectations import checks


def flags(home) -> set[tuple[str, str, str]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {(check, source, f"{month:%Y-%m}") for check, source, month in con.execute(
            "select check_name, source_code, report_month from dq.flags where period_code = ?",
            [PERIOD.code]).fetchall()}


def test_every_planted_problem_is_flagged(demo):
    found = flags(demo["home"])
    assert ("monthly_trafficking_posting", "BAO-LS", "2022-04") in found
    assert ("expected_submission_received", "PVHTT-189", "2022-05") in found   # never sent
    assert ("expected_submission_received", "PVHTT-186", "2022-06") in found   # invalid rows
    assert ("expected_submission_received", "TW-VOV", "2022-05") in found      # corrupt file
    assert ("submission_on_time", "PVHTT-184", "2022-03") in found             # late
    assert len(found) == 5


def test_clean_data_raises_no_flag(clean):
    assert flags(clean["home"]) == set()
    assert clean["checked"]["flags"] == 0


def test_data_docs_are_written_under_the_home(demo):
    index = checks.data_docs_index(demo["home"])
    assert index.is_file()
    assert str(index).startswith(str(demo["home"].root))
    pages = list(index.parent.rglob("*.html"))
    assert any("monthly_postings" in page.read_text(encoding="utf-8") for page in pages)


def test_results_land_in_the_warehouse(demo):
    with duckdb.connect(str(demo["home"].warehouse), read_only=True) as con:
        results = dict(con.execute("select check_name, success from dq.check_results "
                                   "where period_code = ?", [PERIOD.code]).fetchall())
    assert results == {"expected_submission_received": False, "submission_on_time": False,
                       "monthly_trafficking_posting": False, "plausible_quantity": True,
                       "plausible_people_reached": True}


def test_a_rerun_replaces_the_flags_of_the_period(demo, tmp_path):
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    before = flags(home)
    checks.run_checks(home, PERIOD)
    assert flags(home) == before


def test_a_broken_check_is_an_error_not_a_flag(demo, tmp_path, monkeypatch):
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    broken = checks.Check("broken", "completeness", "expected_reports", "error",
                          "no_such_column", "in_set", {"value_set": [True]})
    monkeypatch.setattr(checks, "CHECKS", [*checks.CHECKS, broken])
    with pytest.raises(RuntimeError, match="broken"):
        checks.run_checks(home, PERIOD)
