"""No single file stops the night: each of these once made `outreach ingest` exit non-zero with
nothing committed. Now each is that file's problem, and every other file is loaded."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import duckdb
from click.testing import CliRunner
from helpers import LABELS, new_home, write_bytes, write_csv, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import load
from ingest.legacy import encode_tcvn3
from ingest.load import ingest_inbox
from outreach.cli import main
from outreach.core.home import waiting_files

ROW = ["05/03/2022", "Khác", "Truyền hình", "3", "", "", "", "", ""]
SENT = datetime(2022, 4, 2, 8, 0, tzinfo=UTC)

LONG_NAME = (
    "Báo cáo kết quả công tác tuyên truyền phòng chống tội phạm ma túy mua bán người "
    "tháng 3 năm 2022 của Phòng Văn hóa và Thông tin huyện Tràng Định tỉnh Lạng Sơn.xlsx"
)


def _hostile_inbox(home) -> dict[str, int]:
    """The files of one night: the good ones, with the total count each should load, and the
    ones that once stopped the night."""
    inbox = home.inbox
    good = {}
    write_csv(inbox, "BAO-LS_2022-03.csv", [ROW, ROW], sent_at=SENT)
    good["BAO-LS_2022-03.csv"] = 6
    tcvn3 = [",".join(LABELS), "06/03/2022,Phßng, chèng ma tóy,TruyÒn h×nh,4,,,,,"]
    write_bytes(
        inbox,
        "PTTH-LS_2022-03.csv",
        encode_tcvn3(
            "\r\n".join(tcvn3)
            .replace("Phßng, chèng ma tóy", '"Phòng, chống ma túy"')
            .replace("TruyÒn h×nh", "Truyền hình")
        ),
        sent_at=SENT,
    )
    good["PTTH-LS_2022-03.csv"] = 4
    write_xlsx(
        inbox,
        "PVHTT-178_2022-03.xlsx",
        [
            ["06/03/2022", "Khác", "Truyền thanh cơ sở", 5, "", "", "", "", ""],
            ["Cộng", "", "", 5, "", "", "", "", ""],
        ],
    )
    good["PVHTT-178_2022-03.xlsx"] = 5
    # and the ones that once stopped every night
    write_csv(inbox, "PVHTT-189_2022-03.csv", [[*ROW[:3], "9" * 5000, *ROW[4:]]])
    write_csv(inbox, "PVHTT-180_2022-03.csv", [[*ROW[:6], "x" * 140_000, "", ""]])
    write_csv(inbox, "PVHTT-181_2022-03.csv", [ROW])  # made unreadable below
    os.makedirs(inbox, exist_ok=True)
    with open(os.path.join(os.fsencode(inbox), b"PVHTT-18\xc2_2022-03.csv"), "wb") as handle:
        handle.write(b"ngay,chu_de,hinh_thuc,so_luong\r\n")  # \xc2 alone: not UTF-8
    write_xlsx(inbox, LONG_NAME, [ROW])
    write_csv(inbox, "PVHTT-183_0000-03.csv", [ROW])
    write_csv(inbox, "PVHTT-184_2022-03_r99999999999.csv", [ROW])
    return good


def test_one_night_of_hostile_files_exits_0_and_loads_every_good_one(tmp_path, monkeypatch):
    home = new_home(tmp_path / "home")
    good = _hostile_inbox(home)
    real_sha256 = load.sha256_file

    def unreadable(path):
        # the tests run as root, who may read anything: this is the file ingest may not read
        if path.name == "PVHTT-181_2022-03.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_sha256(path)

    monkeypatch.setattr(load, "sha256_file", unreadable)
    monkeypatch.setenv("OUTREACH_HOME", str(home.root))
    result = CliRunner().invoke(main, ["ingest"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert sorted(summary["accepted"]) == sorted(good)
    assert summary["failed"] == [] and not any(home.inbox.glob("*.*"))
    assert len(summary["rejected"]) == 7
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        loaded = dict(
            con.execute(
                "select m.file_name, sum(r.quantity) from raw.submission_manifest m "
                "join raw.submission_rows r using (submission_id) group by 1"
            ).fetchall()
        )
        reasons = dict(
            con.execute(
                "select m.file_name, p.problem_code from raw.submission_manifest m "
                "join raw.submission_problems p using (submission_id) "
                "where p.severity = 'error'"
            ).fetchall()
        )
    assert loaded == good  # no figure differs from what the sender meant
    assert reasons == {
        "PVHTT-189_2022-03.csv": "bad_value",
        "PVHTT-180_2022-03.csv": "unreadable",
        "PVHTT-181_2022-03.csv": "not_readable",
        "PVHTT-18%C2_2022-03.csv": "name_encoding",
        LONG_NAME: "bad_name",
        "PVHTT-183_0000-03.csv": "name_bad_month",
        "PVHTT-184_2022-03_r99999999999.csv": "name_bad_revision",
    }
    # every refused file is in quarantine untouched, each with its report beside it
    for name in reasons:
        stored = home.quarantine / name
        assert stored.is_file(), name
    reports = list(home.quarantine.glob("*.errors.txt"))
    assert len(reports) == 7 and all(len(p.name.encode()) <= 255 for p in reports)
    long_report = next(p for p in reports if p.name.startswith(LONG_NAME[:50]))
    assert LONG_NAME in long_report.read_text(encoding="utf-8")


def test_a_file_the_warehouse_cannot_record_is_left_and_listed_for_the_department(
    tmp_path, reference, monkeypatch
):
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW])
    write_csv(home.inbox, "PTTH-LS_2022-03.csv", [ROW])

    real_move = load._move

    def moves_nothing(path, destination):
        if path.name == "PTTH-LS_2022-03.csv":
            raise PermissionError(13, "Permission denied", str(destination))
        real_move(path, destination)

    monkeypatch.setattr(load, "_move", moves_nothing)
    summary = ingest_inbox(home, reference=reference)
    assert summary.accepted == ["BAO-LS_2022-03.csv"]
    assert summary.failed == ["PTTH-LS_2022-03.csv"]
    waiting = waiting_files(home)
    assert [entry["file_name"] for entry in waiting] == ["PTTH-LS_2022-03.csv"]
    assert "not moved" in waiting[0]["reason"]
    monkeypatch.undo()
    summary = ingest_inbox(home, reference=reference)  # the next night finishes it
    assert summary.recovered == ["PTTH-LS_2022-03.csv"] and waiting_files(home) == []


names = st.one_of(
    st.sampled_from(
        [
            b"BAO-LS_2022-03.csv",
            b"PTTH-LS_2022-03.xlsx",
            b"BAO-LS_2022-03_r2.csv",
            b"VANBAN_STTTT_2022-03.csv",
            b"bao-ls_2022-03.csv",
            b"BAO-LS_0000-00.csv",
        ]
    ),
    st.binary(min_size=1, max_size=120),
    st.text(min_size=1, max_size=80).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
contents = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from(
        [
            b"",
            b"ngay,chu_de,hinh_thuc,so_luong\r\n05/03/2022,khac,anh,1,000\r\n",
            b'ngay,chu_de,hinh_thuc,so_luong\r\n05/03/2022,"khac,anh,1\r\n',
            "Ngày,Chủ đề,Hình thức,Số lượng\r\n05/03/2022,Khác,Ảnh,2\r\n".encode(),
        ]
    ),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=st.lists(st.tuples(names, contents), min_size=1, max_size=6))
def test_any_names_and_bytes_through_the_whole_ingest(tmp_path_factory, files):
    """Whatever names and bytes arrive, ingest returns, and every file is recorded and moved
    (to the archive, quarantine or duplicates) or listed as left in the inbox with its reason."""
    home = new_home(tmp_path_factory.mktemp("any"))
    inbox = os.fsencode(home.inbox)
    written = set()
    for raw_name, data in files:
        name = raw_name.replace(b"/", b"_").replace(b"\0", b"_")[:255]
        if name in (b".", b"..") or name.startswith(b".") or name in written:
            continue
        try:
            with open(os.path.join(inbox, name), "wb") as handle:
                handle.write(data)
        except OSError:
            continue
        written.add(name)
    summary = ingest_inbox(home)
    handled = sum(len(v) for k, v in summary.as_dict().items() if k != "failed")
    left = [n for n in os.listdir(inbox) if not n.startswith(b".")]
    assert len(left) == len(summary.failed)
    ready = [n for n in written if not n.endswith((b".part", b".tmp", b".errors.txt"))]
    assert handled + len(summary.failed) == len(ready)
    assert [entry["file_name"] for entry in waiting_files(home)] == sorted(summary.failed)
