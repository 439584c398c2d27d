"""Feedback to senders: the status of every source and month, as a table and a CSV."""

from __future__ import annotations

import csv
from datetime import date

from click.testing import CliRunner
from helpers import PERIOD

from outreach.cli import main
from report.status import submission_status


def by_key(rows):
    return {(row.source_code, f"{row.month:%Y-%m}"): row for row in rows}


def test_each_planted_case_in_plain_vietnamese(demo):
    rows = by_key(submission_status(demo["home"], PERIOD))
    assert len(rows) == 120  # 20 sources × 6 months, all due
    assert rows[("PVHTT-189", "2022-05")].status == "Chưa gửi (hạn 10/06/2022)"
    assert rows[("PVHTT-184", "2022-03")].status == "Đã nhận, muộn 15 ngày"
    assert rows[("TW-QDND", "2022-02")].status == "Đã nhận: không phát sinh"
    rejected = rows[("PVHTT-186", "2022-06")]
    assert rejected.status == "Bị trả lại, cần gửi bản sửa"
    assert "Dòng 2, cột 'Số lượng': giá trị 'hai mươi'" in rejected.errors
    accepted = rows[("BAO-LS", "2022-01")]
    assert accepted.status == "Đã nhận, đúng hạn" and int(accepted.row_count) > 0
    assert accepted.file_name == "BAO-LS_2022-01.xlsx"
    assert "@" in accepted.contact


def test_one_month_only(demo):
    rows = submission_status(demo["home"], PERIOD, date(2022, 5, 1))
    assert {row.month for row in rows} == {date(2022, 5, 1)} and len(rows) == 20


def test_the_command_prints_the_table_and_writes_the_csv(demo):
    result = CliRunner().invoke(
        main,
        ["status", "--period", "2022-H1", "--month", "2022-05", "--home", str(demo["home"].root)],
    )
    assert result.exit_code == 0, result.output
    assert "PVHTT-189" in result.output and "Chưa gửi" in result.output
    path = demo["home"].report_dir("2022-H1") / "tinh-trang-2022-05.csv"
    assert f"\n{path}\n" in result.output and path.is_file()
    reminders = demo["home"].report_dir("2022-H1") / "nhac-nho-2022-05.csv"
    assert result.output.strip().endswith(str(reminders)) and reminders.is_file()
    chase = result.output[result.output.index("Cần nhắc") :]
    lines = {line.split()[0]: line for line in chase.splitlines()[3:] if line.strip()}
    assert "Đình Lập" in lines["PVHTT-189"] and "Chưa gửi báo cáo" in lines["PVHTT-189"]
    assert "Bị trả lại, chưa gửi bản sửa" in lines["TW-VOV"]
    with open(path, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 20
    vov = next(row for row in table if row["Mã đơn vị"] == "TW-VOV")
    assert vov["Tình trạng"] == "Bị trả lại, cần gửi bản sửa" and "hỏng" in vov["Lỗi cần sửa"]


def _section(output: str, title: str) -> list[str]:
    """The lines of one section of the status output, up to the next blank line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start + 1 : end]


def test_the_summary_first_then_only_what_needs_action(demo):
    result = CliRunner().invoke(
        main, ["status", "--period", "2022-H1", "--home", str(demo["home"].root)]
    )
    assert result.exit_code == 0, result.output
    summary = {
        line.rsplit(None, 7)[0].strip(): line.rsplit(None, 7)[1:]
        for line in _section(result.output, "Tình hình gửi báo cáo")[2:]
    }
    #                 due  received on time late refused missing not yet due
    assert summary["Cộng"] == ["120", "117", "116", "1", "2", "1", "0"]
    assert summary["Các cơ quan báo chí của tỉnh"] == ["12", "12", "12", "0", "0", "0", "0"]
    assert list(summary)[0] == "Các cơ quan báo chí Trung ương thường trú"

    problems = _section(result.output, "Cần xử lý")
    listed = {line.split()[0] for line in problems[2:] if not line.startswith(" ")}
    assert listed == {"PVHTT-184", "PVHTT-189", "TW-VOV", "PVHTT-186"}
    refused = problems[next(i for i, line in enumerate(problems) if line.startswith("PVHTT-186")) :]
    assert "Hữu Lũng" in refused[0]
    assert refused[1].strip().startswith("- Dòng 2, cột 'Số lượng'")  # the reasons, on screen
    assert "TW-QDND" not in result.output  # a nil report is fine


def test_all_shows_every_row(demo):
    result = CliRunner().invoke(
        main,
        [
            "--home",
            str(demo["home"].root),
            "status",
            "--period",
            "2022-H1",
            "--month",
            "2022-02",
            "--all",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in _section(result.output, "Tất cả")[2:] if not line.startswith(" ")]
    assert len(rows) == 20
    assert any(line.startswith("TW-QDND") and "không phát sinh" in line for line in rows)
