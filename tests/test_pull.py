"""Pulling from the folder senders drop files into."""

from __future__ import annotations

from conftest import new_home, write_csv

from outreach.pull import pull_folder

ROW = ["05/03/2022", "Khác", "Tin, bài", "1", "", "", "", "", ""]


def test_new_files_are_copied_once_and_never_removed_at_the_source(tmp_path):
    home = new_home(tmp_path / "home")
    drop = tmp_path / "drop"
    source = write_csv(drop, "BAO-LS_2022-03.csv", [ROW])
    mtime = source.stat().st_mtime
    assert pull_folder(home, drop) == ["BAO-LS_2022-03.csv"]
    copied = home.inbox / "BAO-LS_2022-03.csv"
    assert copied.read_bytes() == source.read_bytes()
    assert copied.stat().st_mtime == mtime            # the delivery time travels with the file
    copied.unlink()                                     # as ingest would move it away
    assert pull_folder(home, drop) == []
    assert source.exists()


def test_changed_content_under_the_same_name_is_pulled_again(tmp_path):
    home = new_home(tmp_path / "home")
    drop = tmp_path / "drop"
    write_csv(drop, "BAO-LS_2022-03.csv", [ROW])
    pull_folder(home, drop)
    write_csv(drop, "BAO-LS_2022-03.csv", [ROW, ROW])
    assert pull_folder(home, drop) == ["BAO-LS_2022-03.csv"]


def test_identical_bytes_from_two_sources_are_two_files(tmp_path):
    home = new_home(tmp_path / "home")
    drop = tmp_path / "drop"
    write_csv(drop, "TW-VTV_2022-03.csv", [])
    write_csv(drop, "TW-VOV_2022-03.csv", [])
    assert sorted(pull_folder(home, drop)) == ["TW-VOV_2022-03.csv", "TW-VTV_2022-03.csv"]
