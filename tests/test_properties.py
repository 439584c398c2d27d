"""Property: whatever bytes arrive, the parser gives an accepted file or a rejected one with
reasons; it never raises."""

from __future__ import annotations

import csv
import io

from helpers import write_xlsx
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ingest.load import inspect_file
from outreach.core.registry import Reference

REFERENCE = Reference.load()
HEADER = "Ngày,Chủ đề,Hình thức,Số lượng,Mã xã,Số người tiếp cận,Tiêu đề,Đường dẫn,Ghi chú"
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

cells = st.one_of(
    st.sampled_from(
        [
            "05/03/2022",
            "2022-03-31",
            "31/02/2022",
            "44625",
            "Khác",
            "Tư vấn",
            "mua_ban_nguoi",
            "1.234",
            "3.0",
            "-1",
            "06238",
            "Mẫu Sơn",
            "",
            "https://x.vn",
            "=SUM(A1)",
            "\x00",
            "\ufeff",
            "Ngày",
        ]
    ),
    st.text(max_size=12),
)
rows = st.lists(st.lists(cells, max_size=11), max_size=12)


def check(tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    inspection = inspect_file(path, REFERENCE)
    validated = inspection.validated
    if validated.is_accepted:
        assert all(isinstance(record["row_number"], int) for record in validated.records)
    else:
        assert validated.records == []
        assert all(p.message_vi and p.message_en for p in validated.problems)


@SETTINGS
@given(
    mark=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]),
    data=st.binary(max_size=4096),
)
def test_any_bytes_as_csv(tmp_path, mark, data):
    """Any bytes, also after each byte order mark (the decoder trusts the mark first)."""
    check(tmp_path, "BAO-LS_2022-03.csv", mark + data)


@SETTINGS
@given(data=st.binary(max_size=4096))
def test_any_bytes_as_xlsx(tmp_path, data):
    check(tmp_path, "BAO-LS_2022-03.xlsx", data)


@SETTINGS
@given(
    table=rows,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    with_header=st.booleans(),
)
def test_any_table_as_csv(tmp_path, table, encoding, delimiter, with_header):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    if with_header:
        writer.writerow(HEADER.split(","))
    writer.writerows(table)
    text = buffer.getvalue()
    try:
        if encoding == "cp1258":
            from ingest.text import encode_cp1258

            data = encode_cp1258(text)
        else:
            data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)  # text the sender's encoding cannot hold is not a file anyone can send
    check(tmp_path, "PVHTT-183_2022-03.csv", data)


@SETTINGS
@given(position=st.integers(min_value=0), junk=st.binary(min_size=1, max_size=64))
def test_damaged_workbooks(tmp_path, position, junk):
    good = write_xlsx(
        tmp_path / "made",
        "x.xlsx",
        [["05/03/2022", "Khác", "Tin, bài", 1, None, None, None, None, None]],
    )
    data = good.read_bytes()
    cut = position % len(data)
    check(tmp_path, "BAO-LS_2022-03.xlsx", data[:cut] + junk + data[cut + len(junk) :])
