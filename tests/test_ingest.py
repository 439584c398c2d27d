"""Ingest into a real DuckDB warehouse: loads, quarantine, idempotence, revisions, recovery."""

from __future__ import annotations

import shutil

import duckdb
from helpers import new_home, write_csv

from ingest.load import ingest_inbox

ROW = ["05/03/2022", "Phòng, chống mua bán người", "Tin, bài", "2", "", "", "Tiêu đề", "", ""]


def table(home, sql):
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_accepted_file_is_loaded_with_its_manifest_and_archived(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW, ROW])
    summary = ingest_inbox(home, reference=reference)
    assert summary.accepted == ["BAO-LS_2022-03.csv"]
    assert (home.archive / "BAO-LS_2022-03.csv").is_file()
    assert not any(home.inbox.iterdir())
    manifest = table(
        home,
        "select file_name, source_code, report_month, revision, status, "
        "error_count, row_count, stored_path from raw.submission_manifest",
    )
    assert [row[:2] + (str(row[2]),) + row[3:] for row in manifest] == [
        (
            "BAO-LS_2022-03.csv",
            "BAO-LS",
            "2022-03-01",
            1,
            "accepted",
            0,
            2,
            "archive/BAO-LS_2022-03.csv",
        )
    ]
    assert table(home, "select count(*), sum(quantity) from raw.submission_rows") == [(2, 4)]


def test_rejected_file_goes_to_quarantine_untouched_with_its_error_report(tmp_path, reference):
    home = new_home(tmp_path / "home")
    path = write_csv(home.inbox, "BAO-LS_2022-03.csv", [[*ROW[:3], "hai", *ROW[4:]]])
    original = path.read_bytes()
    summary = ingest_inbox(home, reference=reference)
    assert summary.rejected == ["BAO-LS_2022-03.csv"]
    assert (home.quarantine / "BAO-LS_2022-03.csv").read_bytes() == original
    report = (home.quarantine / "BAO-LS_2022-03.csv.errors.txt").read_text(encoding="utf-8")
    assert "Dòng 2, cột 'Số lượng': giá trị 'hai'" in report
    assert "Row 2, column 'so_luong': value 'hai'" in report
    assert table(home, "select status, error_count from raw.submission_manifest") == [
        ("rejected", 1)
    ]
    assert table(home, "select count(*) from raw.submission_rows") == [(0,)]
    assert table(
        home, "select problem_code, column_name, row_number from raw.submission_problems"
    ) == [("bad_value", "so_luong", 2)]


def test_ingest_twice_changes_nothing(tmp_path, reference):
    home = new_home(tmp_path / "home")
    drop = tmp_path / "drop"
    write_csv(drop, "BAO-LS_2022-03.csv", [ROW])
    write_csv(drop, "BAO-LS_2022-04.csv", [[*ROW[:3], "x", *ROW[4:]]])
    ingest_inbox(home, drop, reference)
    snapshot = table(home, "select * from raw.submission_manifest order by file_name")
    second = ingest_inbox(home, drop, reference)
    assert second.as_dict() == {
        "accepted": [],
        "rejected": [],
        "duplicates": [],
        "recovered": [],
        "failed": [],
    }
    assert table(home, "select * from raw.submission_manifest order by file_name") == snapshot


def test_the_same_bytes_delivered_again_are_one_submission(tmp_path, reference):
    home = new_home(tmp_path / "home")
    path = write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    data = path.read_bytes()
    ingest_inbox(home, reference=reference)
    (home.inbox / "BAO-LS_2022-03.csv").write_bytes(data)
    summary = ingest_inbox(home, reference=reference)
    assert summary.duplicates == ["BAO-LS_2022-03.csv"]
    assert table(home, "select count(*) from raw.submission_manifest") == [(1,)]
    assert table(home, "select count(*) from raw.submission_rows") == [(1,)]
    kept = list((home.archive / "duplicates").rglob("BAO-LS_2022-03.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == data


def test_a_different_file_under_an_accepted_name_must_be_a_revision(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    ingest_inbox(home, reference=reference)
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW, ROW])
    summary = ingest_inbox(home, reference=reference)
    assert summary.rejected == ["BAO-LS_2022-03.csv"]
    report = next(home.quarantine.rglob("*.errors.txt")).read_text(encoding="utf-8")
    assert "BAO-LS_2022-03_r2.csv" in report
    # both versions are kept, each under its own name
    assert (home.archive / "BAO-LS_2022-03.csv").is_file()
    assert len(list(home.quarantine.rglob("BAO-LS_2022-03.csv"))) == 1


def test_a_rejected_file_may_be_sent_again_under_the_same_name(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [[*ROW[:3], "x", *ROW[4:]]])
    ingest_inbox(home, reference=reference)
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    assert ingest_inbox(home, reference=reference).accepted == ["BAO-LS_2022-03.csv"]


def test_every_revision_is_kept(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    write_csv(home.inbox, "BAO-LS_2022-03_r2.csv", [ROW, ROW])
    ingest_inbox(home, reference=reference)
    assert table(
        home, "select revision, row_count from raw.submission_manifest order by revision"
    ) == [(1, 1), (2, 2)]


def test_a_run_killed_between_commit_and_move_is_finished_by_the_next(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    ingest_inbox(home, reference=reference)
    # as if the process died after the commit: the file is back in the inbox, archive empty
    shutil.move(home.archive / "BAO-LS_2022-03.csv", home.inbox / "BAO-LS_2022-03.csv")
    summary = ingest_inbox(home, reference=reference)
    assert summary.recovered == ["BAO-LS_2022-03.csv"]
    assert (home.archive / "BAO-LS_2022-03.csv").is_file()
    assert table(home, "select count(*) from raw.submission_rows") == [(1,)]


def test_partial_and_hidden_files_wait(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, ".BAO-LS_2022-03.csv.part", [ROW])
    write_csv(home.inbox, "BAO-LS_2022-04.csv.part", [ROW])
    assert ingest_inbox(home, reference=reference).as_dict()["accepted"] == []
    assert len(list(home.inbox.iterdir())) == 2


def test_two_sources_sending_the_same_blank_template_are_two_reports(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "TW-VTV_2022-03.csv", [])
    write_csv(home.inbox, "TW-VOV_2022-03.csv", [])
    summary = ingest_inbox(home, reference=reference)
    assert sorted(summary.accepted) == ["TW-VOV_2022-03.csv", "TW-VTV_2022-03.csv"]
    assert table(
        home, "select count(distinct content_sha256), count(*) from raw.submission_manifest"
    ) == [(1, 2)]


def test_a_file_the_warehouse_refuses_does_not_hold_back_its_batch(
    tmp_path, reference, monkeypatch
):
    import duckdb as duckdb_module

    from ingest import load

    home = new_home(tmp_path / "home")
    names = [f"PVHTT-18{n}_2022-03.csv" for n in range(5)]
    for name in names:
        write_csv(
            home.inbox,
            name,
            [["05/03/2022", "Khác", "Truyền thanh cơ sở", "3", "", "", "", "", ""]],
        )
    real_record = load._record

    def refusing(con, items):
        if any(item.path.name == names[2] for item in items):
            raise duckdb_module.ConversionException("refused by the warehouse")
        real_record(con, items)

    monkeypatch.setattr(load, "_record", refusing)
    summary = load.ingest_inbox(home, reference=reference)
    assert summary.failed == [names[2]]
    assert sorted(summary.accepted) == sorted(set(names) - {names[2]})
    assert [p.name for p in home.inbox.iterdir()] == [names[2]]  # left for the next night
    assert sorted(p.name for p in home.archive.iterdir()) == sorted(summary.accepted)


def test_a_name_ending_in_a_newline_is_refused_and_never_stored_with_it(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv\n", [ROW])
    write_csv(home.inbox, "BAO-LS_2022-04.csv\r", [ROW])
    summary = ingest_inbox(home, reference=reference)
    assert summary.accepted == []
    assert sorted(summary.rejected) == ["BAO-LS_2022-03.csv%0A", "BAO-LS_2022-04.csv%0D"]
    assert not any(home.inbox.iterdir())
    stored = [p.name for p in home.root.rglob("*")]
    assert not any("\n" in name or "\r" in name for name in stored)
    names = [row[0] for row in table(home, "select file_name from raw.submission_manifest")]
    assert sorted(names) == ["BAO-LS_2022-03.csv%0A", "BAO-LS_2022-04.csv%0D"]
    report = (home.quarantine / "BAO-LS_2022-03.csv%0A.errors.txt").read_text(encoding="utf-8")
    assert (
        "Tên tệp 'BAO-LS_2022-03.csv%0A' không đúng mẫu: có ký tự không được dùng trong tên tệp: "
        "U+000A (xuống dòng) ở vị trí 19" in report
    )
    assert "Hãy đổi tên thành 'BAO-LS_2022-03.csv' rồi gửi lại." in report
    assert "U+000A (line feed) at position 19" in report
    assert table(home, "select count(*) from raw.submission_rows") == [(0,)]


def test_a_name_starting_with_two_dots_is_refused_not_left_waiting(tmp_path, reference):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "..BAO-LS_2022-03.csv", [ROW])
    write_csv(home.inbox, ".~lock.BAO-LS_2022-03.xlsx#", [ROW])  # an editor's: waits, hidden
    summary = ingest_inbox(home, reference=reference)
    assert summary.rejected == ["..BAO-LS_2022-03.csv"]
    assert [p.name for p in home.inbox.iterdir()] == [".~lock.BAO-LS_2022-03.xlsx#"]
    report = (home.quarantine / "..BAO-LS_2022-03.csv.errors.txt").read_text(encoding="utf-8")
    assert (
        "Tên tệp '..BAO-LS_2022-03.csv' không đúng mẫu: bắt đầu bằng dấu chấm ('.' hoặc '..')"
        in report
    )
    assert "Hãy đổi tên thành 'BAO-LS_2022-03.csv' rồi gửi lại." in report
    assert "it starts with a dot ('.' or '..')" in report


def test_no_internal_exception_text_reaches_a_sender(tmp_path, reference, monkeypatch):
    from ingest import load

    def failing(*args, **kwargs):
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")

    monkeypatch.setattr(load, "validate_table", failing)
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    summary = ingest_inbox(home, reference=reference)
    assert summary.rejected == ["BAO-LS_2022-03.csv"]
    report = (home.quarantine / "BAO-LS_2022-03.csv.errors.txt").read_text(encoding="utf-8")
    messages = table(home, "select message_vi || message_en from raw.submission_problems")
    for text in [report, *(row[0] for row in messages)]:
        assert "4300" not in text and "ValueError" not in text
    reference_code = table(home, "select left(submission_id, 12) from raw.submission_manifest")
    assert f"Hệ thống gặp lỗi khi xử lý tệp này (mã tra cứu {reference_code[0][0]})" in report
    assert f"(reference {reference_code[0][0]}, in the ingest log)" in report
