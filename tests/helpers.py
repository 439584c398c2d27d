"""What the tests share: the demo's period, real files written as senders write them, a fresh
home, the nightly run's steps called as the DAG calls them, the text of a written report.

Fixtures are in conftest.py; tests import these (`from helpers import new_home`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import docx
from lxml import etree

from outreach.core.home import Home
from outreach.core.periods import parse_period
from outreach.core.settings import settings

LABELS = [
    "Ngày",
    "Chủ đề",
    "Hình thức",
    "Số lượng",
    "Mã xã",
    "Số người tiếp cận",
    "Tiêu đề",
    "Đường dẫn",
    "Ghi chú",
]
PERIOD = parse_period("2022-H1")
AS_OF = settings().closing_date(PERIOD)


def write_csv(
    folder: Path,
    name: str,
    rows: list[list[object]],
    *,
    header=LABELS,
    encoding: str = "utf-8",
    delimiter: str = ",",
    sent_at: datetime | None = None,
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    if encoding == "cp1258":
        from ingest.text import encode_cp1258

        data = encode_cp1258(text)
    else:
        data = text.encode(encoding)
    return write_bytes(folder, name, data, sent_at=sent_at)


def write_bytes(folder: Path, name: str, data: bytes, *, sent_at: datetime | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    if sent_at is not None:
        os.utime(path, (sent_at.timestamp(), sent_at.timestamp()))
    return path


def write_xlsx(
    folder: Path,
    name: str,
    rows: list[list[object]],
    *,
    header=LABELS,
    title_rows: list[str] = (),
    sheets_before: list[str] = (),
    sheet_name: str = "Sheet1",
    merge_titles: bool = True,
) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    sheet = first
    for index, extra in enumerate(sheets_before):
        if index == 0:
            first.title = extra
            first.append(["Hướng dẫn điền báo cáo"])
        else:
            workbook.create_sheet(extra)
    if sheets_before:
        sheet = workbook.create_sheet(sheet_name)
    else:
        sheet.title = sheet_name
    for title in title_rows:
        sheet.append([title])
        if merge_titles:
            sheet.merge_cells(
                start_row=sheet.max_row,
                start_column=1,
                end_row=sheet.max_row,
                end_column=len(header),
            )
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    workbook.save(path)
    return path


def ods_bytes() -> bytes:
    """A minimal OpenDocument spreadsheet: a zip whose first member, stored, is its mimetype."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            "</manifest:manifest>",
        )
        archive.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:'
            'opendocument:xmlns:office:1.0"><office:body><office:spreadsheet/></office:body>'
            "</office:document-content>",
            zipfile.ZIP_DEFLATED,
        )
    return buffer.getvalue()


def strict_xlsx_bytes(tmp_path: Path) -> bytes:
    """A workbook as Excel saves it as "Strict Open XML Spreadsheet": the parts of an ordinary
    one, in the Strict namespaces."""
    row = ["05/03/2022", "Khác", "Tin, bài", "1", "", "", "", "", ""]
    plain = write_xlsx(tmp_path / "plain", "x.xlsx", [row]).read_bytes()
    spaces = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
            b"http://purl.oclc.org/ooxml/spreadsheetml/main"
        ),
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
            b"http://purl.oclc.org/ooxml/officeDocument/relationships"
        ),
    }
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            for transitional, strict in spaces.items():
                data = data.replace(transitional, strict)
            target.writestr(info.filename, data)
    return buffer.getvalue()


def new_home(root: Path) -> Home:
    return Home(root).ensure()


def was_full_refresh(home: Home) -> bool:
    """Whether the home's last dbt command was a full refresh (its run_results.json)."""
    results = json.loads((home.root / "dbt" / "target" / "run_results.json").read_text())
    return bool(results["args"].get("full_refresh"))


def run_pipeline(home: Home, drop: Path, *, as_of: date = AS_OF) -> dict:
    """Every step of the nightly run, called as the DAG calls them, without Airflow."""
    from outreach.orchestration import pipeline

    pulled = pipeline.pull(home, drop)
    ingested = pipeline.ingest(home)
    pipeline.build(home, as_of)
    checked = pipeline.check(home, PERIOD)
    pipeline.publish(home)
    # no PDF (LibreOffice takes seconds): test_report_formats makes and reads its own
    files = pipeline.report(home, PERIOD, pdf=False)
    reminded = pipeline.remind(home, PERIOD)
    return {
        "pulled": pulled,
        "ingested": ingested,
        "checked": checked,
        "report": files,
        "reminded": reminded,
    }


def document_text(path) -> str:
    """The text of every paragraph, table cell and footnote; a line break inside a paragraph
    (the header block's "SỞ THÔNG TIN VÀ / TRUYỀN THÔNG") reads as a space."""
    document = docx.Document(str(path))
    parts = [p.text.replace("\n", " ") for p in document.paragraphs]

    def cells(tables):
        for table in tables:
            for row in table.rows:
                for cell in row.cells:
                    parts.extend(p.text.replace("\n", " ") for p in cell.paragraphs)
                    cells(cell.tables)

    cells(document.tables)
    parts.extend(footnotes(document).values())
    return "\n".join(parts)


def report_body(path) -> str:
    """Sections 1 and 2 of a written report (direction, results: the sentences it writes from
    the figures), a paragraph a line."""
    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    start = texts.index("1. Công tác chỉ đạo, triển khai thực hiện")
    return "\n".join(texts[start : texts.index("3. Đánh giá", start)])


# a count followed by its unit, then the first part of the brackets after it
_COUNT_AND_BRACKET = re.compile(r"\b\d[\d.]* ([^\d();:]+?) \(([^();]*?)[,)]")


def machine_wording(body: str) -> list[str]:
    """What in a report's sentences reads as written by a machine: a count of nothing ("0
    ảnh", "0 văn bản"), a label in brackets that says the unit before it again ("222 chương
    trình phát thanh (chương trình phát thanh)", "34.482 lượt phát (phát trên hệ thống ...)"),
    a word twice in a row, empty brackets, "lượt lớp"."""
    faults = [m.group(0) for m in re.finditer(r"(?<![\d.,])0 (?!%)[^\W\d]\w*", body)]
    faults += [m.group(0) for m in re.finditer(r"\b(\w+) \1\b", body)]
    faults += [m.group(0) for m in re.finditer(r"\(\s*\)|lượt lớp", body)]
    for match in _COUNT_AND_BRACKET.finditer(body):
        unit, first = (set(re.findall(r"\w+", part.lower())) for part in match.groups())
        if unit & first:  # "lượt phát (phát trên hệ thống ...)" says "phát" twice
            faults.append(match.group(0))
    return faults


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def footnotes(document) -> dict[str, str]:
    """The text of each real Word footnote (not separators), by its id."""
    for relationship in document.part.rels.values():
        if relationship.reltype.endswith("/footnotes"):
            root = etree.fromstring(relationship.target_part.blob)
            return {
                note.get(f"{W}id"): "".join(note.itertext()).strip()
                for note in root.iter(f"{W}footnote")
                if note.get(f"{W}type") is None
            }
    return {}


# the portal's test accounts' password, made at run time: none is written in the repository
PORTAL_PASSWORD = secrets.token_urlsafe(18)


# each login's argon2 hash of PORTAL_PASSWORD, made once per test process: a hash takes a fifth of
# a second of both cores, and the portal's tests make the same accounts again for every test
_PORTAL_HASHES: dict[str, str] = {}


class _KnownHash:
    """The store's hasher, whose `hash` of the test password gives a hash it made before."""

    def __init__(self, hasher, known: str) -> None:
        self.hasher, self.known = hasher, known

    def hash(self, password: str) -> str:
        return self.known if password == PORTAL_PASSWORD else self.hasher.hash(password)

    def __getattr__(self, name: str):
        return getattr(self.hasher, name)


def add_portal_account(store, login: str, name: str, role: str, **where: str) -> None:
    """The account added by the store, its password PORTAL_PASSWORD: stored as a real argon2
    hash (the store's hasher, production's parameters) that was made for this login once per
    test process, which every login then verifies against."""
    from unittest import mock

    from outreach.portal import store as store_module

    hasher = store_module._hasher
    if login not in _PORTAL_HASHES:
        _PORTAL_HASHES[login] = hasher.hash(PORTAL_PASSWORD)
    with mock.patch.object(store_module, "_hasher", _KnownHash(hasher, _PORTAL_HASHES[login])):
        store.add_account(login, name, role, password=PORTAL_PASSWORD, **where)


def portal_home(root: Path, published: Path) -> Home:
    """A fresh home whose published warehouse is a copy of `published`."""
    home = new_home(root)
    home.published_warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(published, home.published_warehouse)
    return home


POSTGRES_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432"


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (the portal's production store), dropped
    afterwards; the test is skipped where no PostgreSQL answers on 127.0.0.1:5432."""
    import pytest
    import sqlalchemy as sa

    server = sa.create_engine(f"{POSTGRES_SERVER}/postgres")
    try:
        with server.connect() as con:
            con.execute(sa.text("select 1"))
    except sa.exc.OperationalError:
        server.dispose()
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    name = f"portal_test_{secrets.token_hex(4)}"
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as con:
        con.execute(sa.text(f"create database {name}"))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as con:
            con.execute(sa.text(f"drop database {name} with (force)"))
        server.dispose()


def figure_changed(home: Home, section: str, figure_id: str, value: float, text: str) -> None:
    """The period's figures.json as the next report writes it when a figure has changed since
    the section was saved: the figure's new value and text, and the section's saved sentences
    citing it (`report.drafting`, `report.narrative.stale_citations`)."""
    from report.build import report_paths
    from report.narrative import NarrativeStore, stale_citations

    path = report_paths(home, PERIOD)[1]
    report = json.loads(path.read_text(encoding="utf-8"))
    for figure in report["figures"]:
        if figure["id"] == figure_id:
            figure["value"], figure["text"] = value, text
    latest = NarrativeStore(home.root).latest(PERIOD.code, section)
    assert latest is not None, f"nothing saved in {section}"
    now = {figure["id"]: figure for figure in report["figures"]}
    for entry in report["sections"]:
        if entry["key"] == section:
            stale = [vars(found) for found in stale_citations(latest, now)]
            entry.update(state="saved", saved_version=latest.number, stale=stale)
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


def left_running(processes: list, timeout: float) -> list[str]:
    """The command lines of the processes (psutil's) still running after `timeout` seconds, each
    then killed; a zombie (ended, not yet reaped by whoever adopted it) counts as gone."""
    import psutil

    _, alive = psutil.wait_procs(processes, timeout=timeout)
    left = []
    for process in alive:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                left.append(" ".join(process.cmdline())[:100])
                process.kill()
        except psutil.Error:
            continue
    return left
