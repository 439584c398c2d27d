"""Quality checks: each planted problem is flagged; clean data raises no flag; a failing
expectation is a flag while a broken check is an error."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers import PERIOD, document_text, new_home

from expectations import catalogue, checks

LABELS_VI = {check.name: check.label_vi for check in catalogue.CHECKS}


def flags(home) -> set[tuple[str, str, str]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {
            (check, source, f"{month:%Y-%m}")
            for check, source, month in con.execute(
                "select check_name, source_code, report_month from dq.flags where period_code = ?",
                [PERIOD.code],
            ).fetchall()
        }


# each planted problem of the demo: the flag it must raise, the mart row that shows it, and
# whether the reminder list chases the source for it
PLANTED = {
    "no_trafficking_item": (
        "monthly_trafficking_posting",
        """
        select count(*) from marts.fct_reporting_completeness where source_code = ?
            and report_month = ? and is_received and not has_trafficking_media_item""",
        True,
    ),
    "never_submitted": (
        "expected_submission_received",
        """
        select count(*) from marts.fct_reporting_completeness where source_code = ?
            and report_month = ? and submission_status = 'missing'""",
        True,
    ),
    "invalid_rows": (
        "expected_submission_received",
        """
        select count(*) from marts.fct_reporting_completeness where source_code = ?
            and report_month = ? and submission_status = 'rejected'""",
        True,
    ),
    "corrupt_file": (
        "expected_submission_received",
        """
        select count(*) from marts.fct_reporting_completeness where source_code = ?
            and report_month = ? and submission_status = 'rejected'""",
        True,
    ),
    "late": (
        "submission_on_time",
        """
        select count(*) from marts.fct_reporting_completeness where source_code = ?
            and report_month = ? and submission_status = 'late'""",
        True,
    ),
    "no_grassroots_activity": (
        "monthly_grassroots_posting",
        """
        select count(*) from marts.fct_reporting_completeness where source_code = ?
            and report_month = ? and is_received and not has_trafficking_grassroots_activity""",
        True,
    ),
    "outlier": (
        "outlier",
        """
        select count(*) from marts.fct_output_outliers where source_code = ?
            and report_month = ? and is_outlier""",
        False,
    ),
    "counselling_over_population": (
        "validation_rule",
        """
        select count(*) from marts.fct_validation_results where source_code = ?
            and report_month = ? and rule_code = 'counselling_within_population'
            and not is_satisfied""",
        False,
    ),
    "film_screening_without_people": (
        "validation_rule",
        """
        select count(*) from marts.fct_validation_results where source_code = ?
            and report_month = ? and rule_code = 'film_screening_people_recorded'
            and not is_satisfied""",
        False,
    ),
}
# planted on purpose as things that are not problems
NOT_PROBLEMS = {"correction", "empty_report"}


def planted_problems(sample):
    problems = [p for p in sample.planted if p.kind not in NOT_PROBLEMS]
    assert {p.kind for p in problems} == set(PLANTED)
    return problems


def latest_data_docs(home) -> str:
    """The text of the newest validation page of every suite."""
    site = checks.data_docs_index(home).parent / "validations"
    pages = []
    for suite in site.iterdir():
        runs = sorted(suite.glob("*/*"))
        pages += [page.read_text(encoding="utf-8") for page in runs[-1].glob("*.html")]
    return "\n".join(pages)


def test_every_planted_problem_is_in_the_mart_and_flagged(demo):
    found = flags(demo["home"])
    with duckdb.connect(str(demo["home"].warehouse), read_only=True) as con:
        for problem in planted_problems(demo["sample"]):
            check, mart_query, _ = PLANTED[problem.kind]
            month = date.fromisoformat(f"{problem.month}-01")
            assert con.execute(mart_query, [problem.source_code, month]).fetchone()[0] == 1, problem
            assert (check, problem.source_code, problem.month) in found, problem


def test_every_flag_comes_from_a_planted_problem(demo):
    planted = {
        (PLANTED[p.kind][0], p.source_code, p.month) for p in planted_problems(demo["sample"])
    }
    # a month never received also misses its monthly posting: that follows from the first
    unreceived = {
        (source, month)
        for check, source, month in planted
        if check == "expected_submission_received"
    }
    followers = {("monthly_grassroots_posting", source, month) for source, month in unreceived}
    assert flags(demo["home"]) - planted <= followers
    assert planted <= flags(demo["home"])


def test_every_planted_problem_is_in_the_annex(demo):
    text = document_text(demo["report"].docx)
    annex = text[text.index("Phụ lục 5") :]
    with duckdb.connect(str(demo["home"].warehouse), read_only=True) as con:
        details = con.execute(
            "select detail_vi, check_name from dq.flags where period_code = ?", [PERIOD.code]
        ).fetchall()
    for detail, check in details:
        assert detail in annex and LABELS_VI[check] in annex


def problem_names(home, check: str) -> set[str]:
    """How the reminder list names the flags of a check (a month not received: by what came)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {
            name
            for (name,) in con.execute(
                "select distinct reminder_problem_vi from dq.flags where check_name = ? "
                "and reminder_problem_vi is not null",
                [check],
            ).fetchall()
        }


def test_every_chased_problem_is_in_the_reminder_list(demo):
    csv_text = Path(demo["reminded"]["csv"]).read_text(encoding="utf-8-sig")
    lines = csv_text.splitlines()
    for problem in planted_problems(demo["sample"]):
        check, _, chased = PLANTED[problem.kind]
        month = f"{problem.month[5:]}/{problem.month[:4]}"
        # the reminder list words a month not received by what came: nothing, or a refusal
        labels = [LABELS_VI[check], *problem_names(demo["home"], check)]
        matching = [
            line
            for line in lines
            if line.startswith(f"{problem.source_code},")
            and f",{month}," in line
            and any(label in line for label in labels)
        ]
        assert bool(matching) == chased, problem
        if chased:  # the registry's contact and a message ready to send
            assert "@" in matching[0] and "Kính gửi" in matching[0]
    assert demo["reminded"]["count"] == len(lines) - 1 == 6
    # nothing sent and only a refused file sent are chased with different words
    assert problem_names(demo["home"], "expected_submission_received") == {
        "Chưa gửi báo cáo",
        "Bị trả lại, chưa gửi bản sửa",
    }


def test_every_planted_problem_is_in_the_data_docs(demo):
    docs = latest_data_docs(demo["home"])
    for problem in planted_problems(demo["sample"]):
        assert f"{problem.source_code}:{problem.month}" in docs, problem


def test_clean_data_raises_no_flag_and_no_reminder(clean):
    assert flags(clean["home"]) == set()
    assert clean["checked"]["flags"] == 0
    assert clean["reminded"]["count"] == 0
    text = document_text(clean["report"].docx)
    assert "Không có trường hợp nào." in text[text.index("Phụ lục 5") :]
    docs = latest_data_docs(clean["home"])
    assert "PVHTT-" not in docs and "BAO-LS" not in docs


def test_data_docs_are_written_under_the_home(demo):
    index = checks.data_docs_index(demo["home"])
    assert index.is_file()
    assert str(index).startswith(str(demo["home"].root))
    pages = list(index.parent.rglob("*.html"))
    assert any("monthly_postings" in page.read_text(encoding="utf-8") for page in pages)


def test_results_land_in_the_warehouse(demo):
    with duckdb.connect(str(demo["home"].warehouse), read_only=True) as con:
        results = dict(
            con.execute(
                "select check_name, success from dq.check_results where period_code = ?",
                [PERIOD.code],
            ).fetchall()
        )
    assert results == {
        "expected_submission_received": False,
        "submission_on_time": False,
        "monthly_trafficking_posting": False,
        "monthly_grassroots_posting": False,
        "validation_rule": False,
        "outlier": False,
        "plausible_quantity": True,
        "plausible_people_reached": True,
        # the demo's night does not cross-check: no month is covered, nothing to flag
        "published_claimed_above_found": True,
        "published_claimed_address": True,
    }


def test_a_rerun_replaces_the_flags_of_the_period(demo, tmp_path):
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    before = flags(home)
    checks.run_checks(home, PERIOD)
    assert flags(home) == before


def test_a_broken_check_is_an_error_not_a_flag(demo, tmp_path, monkeypatch):
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    broken = catalogue.Check(
        "broken",
        "completeness",
        "expected_reports",
        "error",
        "no_such_column",
        "in_set",
        {"value_set": [True]},
    )
    monkeypatch.setattr(checks, "CHECKS", [*checks.CHECKS, broken])
    with pytest.raises(RuntimeError, match="broken"):
        checks.run_checks(home, PERIOD)


def test_a_new_check_is_one_object_the_reminders_and_the_annex_follow(demo, tmp_path, monkeypatch):
    from report.reminders import reminders

    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    added = catalogue.Check(
        "arrived_by_deadline",
        "completeness",
        "received_reports",
        "warning",
        "is_on_time",
        "in_set",
        {"value_set": [True]},
        label_vi="Nộp sau hạn (thử)",
        ask_vi="đề nghị đơn vị nộp sớm hơn",
    )
    monkeypatch.setattr(checks, "CHECKS", [*checks.CHECKS, added])
    checks.run_checks(home, PERIOD)
    late = {
        (source, month) for check, source, month in flags(home) if check == "submission_on_time"
    }
    assert (
        late
        and {
            (source, month)
            for check, source, month in flags(home)
            if check == "arrived_by_deadline"
        }
        == late
    )
    chased = [r for r in reminders(home, PERIOD) if r.problem == "Nộp sau hạn (thử)"]
    assert {(r.source_code, f"{r.month:%Y-%m}") for r in chased} == late
    assert all("đề nghị đơn vị nộp sớm hơn" in r.message for r in chased)


def test_a_flag_is_a_row_gx_finds_unexpected_of_any_kind_it_has(demo, tmp_path, monkeypatch):
    """A kind of expectation added as one line of the catalogue, which nothing but GX can
    evaluate, flags the one row planted to fail it: the flags are GX's result."""
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    with duckdb.connect(str(home.warehouse)) as con:
        key, source, month = con.execute(
            "select media_output_key, source_code, report_month from marts.fct_media_outputs "
            "where report_month between ? and ? order by media_output_key limit 1",
            [PERIOD.start, PERIOD.end],
        ).fetchone()
        con.execute(
            "update marts.fct_media_outputs set output_type_code = 'Tin bài' "
            "where media_output_key = ?",
            [key],
        )
    monkeypatch.setitem(catalogue.KINDS, "match_regex", "ExpectColumnValuesToMatchRegex")
    added = catalogue.Check(
        "output_type_code_form",
        "plausible_counts",
        "media_outputs",
        "warning",
        "output_type_code",
        "match_regex",
        {"regex": "^[a-z_]+$"},
        label_vi="Mã loại sản phẩm sai dạng",
    )
    monkeypatch.setattr(checks, "CHECKS", [*checks.CHECKS, added])
    checks.run_checks(home, PERIOD)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        flagged = con.execute(
            "select source_code, report_month, observed_value, detail_vi from dq.flags "
            "where check_name = 'output_type_code_form'"
        ).fetchall()
        result = con.execute(
            "select expectation_type, success, unexpected_count from dq.check_results "
            "where check_name = 'output_type_code_form'"
        ).fetchall()
    assert [(s, m, observed) for s, m, observed, _ in flagged] == [(source, month, "Tin bài")]
    assert "Mã loại sản phẩm sai dạng" in flagged[0][3]
    assert result == [("expect_column_values_to_match_regex", False, 1)]
    # the other checks' flags are as before
    assert flags(home) - {("output_type_code_form", source, f"{month:%Y-%m}")} == flags(
        demo["home"]
    )


def test_a_kind_that_names_no_row_is_an_error_not_a_silent_pass(demo, tmp_path, monkeypatch):
    """GX judging a whole column (its mean) unmet names no row to flag: the run says so."""
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    monkeypatch.setitem(catalogue.KINDS, "mean_between", "ExpectColumnMeanToBeBetween")
    whole = catalogue.Check(
        "mean_quantity",
        "plausible_counts",
        "media_outputs",
        "warning",
        "quantity",
        "mean_between",
        {"min_value": -2, "max_value": -1},
    )
    monkeypatch.setattr(checks, "CHECKS", [*checks.CHECKS, whole])
    with pytest.raises(RuntimeError, match="mean_quantity raised: GX found"):
        checks.run_checks(home, PERIOD)
