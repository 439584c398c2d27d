"""End to end: the real DAG through Airflow on the demo files, then the report it wrote."""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner
from fast_tier import heavy_fixture
from helpers import PERIOD, document_text
from mailserver import invoke_with_mail, text_of

from outreach.cli import main

pytestmark = pytest.mark.slow


@heavy_fixture(scope="module")
def airflow_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    home, drop = root / "home", root / "drop"
    runner = CliRunner()
    sampled = runner.invoke(main, ["sample", "--period", "2022-H1", "--inbox", str(drop)])
    assert sampled.exit_code == 0, sampled.output
    first, mail = invoke_with_mail(
        runner,
        main,
        ["run", "--period", "2022-H1", "--inbox", str(drop), "--home", str(home)],
        OUTREACH_REMINDER_TO="staff@test.example",
    )
    assert first.exit_code == 0, first.output
    return {"home": home, "drop": drop, "output": first.output, "runner": runner, "mail": mail}


def marts(home):
    with duckdb.connect(str(home / "warehouse" / "outreach.duckdb"), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in tables}


def test_the_run_prints_the_path_of_the_report(airflow_run):
    docx = airflow_run["home"] / "reports" / "2022-H1" / "bao-cao-2022-H1.docx"
    lines = airflow_run["output"].strip().splitlines()
    assert lines[-1].startswith("  Report (Word) ") and lines[-1].endswith(f"  {docx}")
    listed = {
        line.split("  ")[1].strip(): line.rsplit("  ", 1)[-1]
        for line in lines
        if line.startswith("  ")
    }
    assert listed["Reminder list"] == str(docx.parent / "nhac-nho-2022-H1.csv")
    assert listed["HTML preview"] == str(docx.with_suffix(".html"))
    assert listed["Data Docs (checks)"].endswith("local_site/index.html")
    assert docx.is_file()


def test_the_report_carries_the_figures_and_the_flagged_months(airflow_run):
    home = airflow_run["home"]
    text = document_text(home / "reports" / "2022-H1" / "bao-cao-2022-H1.docx")
    figures = json.loads((home / "reports" / "2022-H1" / "figures.json").read_text())
    by_id = {f["id"]: f for f in figures["figures"]}
    assert figures["as_of"] == "2022-07-11" and figures["is_draft"] is False
    assert by_id["outputs.outlet_central.media.all"]["value"] > 50
    for code in (
        "I1_communes_counselled",
        "I2_monthly_posting",
        "I3_people_reached",
        "I4_reporters_trained",
    ):
        assert by_id[f"indicator.{code}.value"]["text"] in text
    assert "Báo Lạng Sơn" in text
    assert "Tháng 04/2022 không có tin, bài nào về phòng, chống mua bán người" in text
    assert "Chưa gửi báo cáo tháng 05/2022" in text


def test_the_reminder_list_is_written_and_mailed_to_the_department(airflow_run):
    home = airflow_run["home"]
    reminders = (home / "reports" / "2022-H1" / "nhac-nho-2022-H1.csv").read_text("utf-8-sig")
    assert "PVHTT-189,Phòng Văn hóa và Thông tin huyện Đình Lập,05/2022" in reminders
    assert "BAO-LS" in reminders and "Thiếu tin, bài về mua bán người" in reminders
    [message] = airflow_run["mail"]
    assert message["X-Envelope-To"] == "staff@test.example"
    text = text_of(message)
    assert "cần nhắc" in text and "6 tháng đầu năm 2022" in text
    assert "Phòng Văn hóa và Thông tin huyện Đình Lập" in text and "05/2022" in text


def test_files_were_archived_or_quarantined_under_their_own_names(airflow_run):
    home = airflow_run["home"]
    assert (home / "archive" / "PVHTT-181_2022-02_r2.csv").is_file()
    assert (home / "quarantine" / "TW-VOV_2022-05.xlsx").is_file()
    assert (home / "quarantine" / "TW-VOV_2022-05.xlsx.errors.txt").is_file()
    assert not any((home / "inbox").iterdir())


def test_a_second_run_changes_nothing(airflow_run):
    home = airflow_run["home"]
    before = marts(home)
    figures = (home / "reports" / "2022-H1" / "figures.json").read_text()
    again = airflow_run["runner"].invoke(
        main,
        ["run", "--period", "2022-H1", "--inbox", str(airflow_run["drop"]), "--home", str(home)],
    )
    assert again.exit_code == 0, again.output
    assert marts(home) == before
    assert (home / "reports" / "2022-H1" / "figures.json").read_text() == figures
    assert PERIOD.code in again.output


def test_a_failing_step_fails_the_run_with_the_log_to_read(tmp_path):
    warehouse = tmp_path / "home" / "warehouse" / "outreach.duckdb"
    warehouse.parent.mkdir(parents=True)
    warehouse.write_bytes(b"not a database")
    result = CliRunner().invoke(
        main, ["run", "--period", "2022-H1", "--home", str(tmp_path / "home")]
    )
    assert result.exit_code == 1
    assert "outreach_nightly failed for 2022-H1" in result.output
    assert "full log:" in result.output
    assert "outreach.duckdb" in result.output  # the cause, from the task's error
    assert not (tmp_path / "home" / "reports" / "2022-H1").exists()


def test_a_drop_folder_that_does_not_exist_is_refused_before_anything_runs(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--period",
            "2022-H1",
            "--inbox",
            str(tmp_path / "no-such-folder"),
            "--home",
            str(tmp_path / "home"),
        ],
    )
    assert result.exit_code == 2 and "does not exist" in result.output


def test_each_task_of_the_run_has_its_log_where_the_ui_reads_it(airflow_run):
    """`airflow dags test` writes no task log: `outreach run` writes one per task instance, at
    the path Airflow renders from its default template, in the task runner's JSON lines."""
    import sqlite3
    from contextlib import closing

    airflow_home = airflow_run["home"] / "airflow"
    with closing(sqlite3.connect(airflow_home / "airflow.db")) as con:
        run_id, logical_date, start = con.execute(
            "select run_id, logical_date, start_date from dag_run "
            "where dag_id = 'outreach_nightly' order by id desc limit 1"
        ).fetchone()
        instances = con.execute(
            "select task_id, map_index, try_number from task_instance where run_id = ?", [run_id]
        ).fetchall()
    # logged at the moment it ran, not in 2022: the UI's runs stay in order
    assert logical_date[:4] == start[:4] >= "2026"
    assert {task for task, _, _ in instances} >= {"plan", "ingest", "build", "check", "report"}
    template = (
        "dag_id=outreach_nightly/run_id={run}/task_id={task}/{mapped}"
        "attempt={attempt}.log"
    )  # [logging] log_filename_template, Airflow's default
    logs = {}
    for task, index, attempt in instances:
        path = (
            airflow_home
            / "logs"
            / template.format(
                run=run_id,
                task=task,
                attempt=attempt,
                mapped=f"map_index={index}/" if index >= 0 else "",
            )
        )
        assert path.is_file(), path
        logs[task] = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert any("dbt build" in record["event"] for record in logs["build"])
    assert any("quality checks for 2022-H1" in record["event"] for record in logs["check"])
    assert any(
        "written" in record["event"] and "bao-cao-2022-H1.docx" in record["event"]
        for record in logs["report"]
    )
    assert all(
        record.get("logger") != "airflow.api_fastapi.execution_api.routes.task_instances"
        for records in logs.values()
        for record in records
    )
    # the whole output holds none of the noise an operator cannot act on
    output = max(
        (airflow_run["home"] / "logs").glob("airflow-outreach_nightly-*.log"),
        key=lambda path: path.stat().st_mtime,
    ).read_text("utf-8")
    for noise in ("graphviz", "categorical units", "openlineage/namespace", "Openlineage events"):
        assert noise not in output, noise
