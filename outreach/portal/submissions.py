"""What the portal does with a file, and what it shows of a source's months.

An upload is checked at once by the contract code ingest uses (`ingest.load.inspect_file`: no
second implementation). The portal names the file (`<SOURCE>_<YYYY-MM>[_rN].<ext>`): the
sender chooses the month, and a second file for a month already sent becomes the next revision
once the sender confirms it is a correction. A file that passes is written into the inbox
atomically, with its upload time as its delivery time and a note of whose it may be (ingest
refuses it as another source's otherwise); the nightly run ingests it.

The months are read from the published copy of the warehouse (`marts.rpt_submission_status`,
the checks' `dq.flags`), never from the working file.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from sqlalchemy.exc import IntegrityError

from ingest.files import MAX_FILE_BYTES, sha256_file
from ingest.load import inspect_file
from ingest.naming import DIRECTIVES, FORMATS, MONTHLY, SubmissionName, parse_name
from ingest.pull import ORIGIN_FOLDER, write_origin
from outreach.core.home import Home
from outreach.core.registry import Reference
from outreach.core.warehouse import connect, fetch_dicts
from outreach.portal.store import (
    PRIVATE_FOLDER_MODE,
    Account,
    Store,
    private_file,
    private_folder,
)

STATE_LABELS = {
    "on_time": "Đã nhận, đúng hạn",
    "late": "Đã nhận, muộn",
    "rejected": "Bị trả lại",
    "missing": "Chưa gửi",
    "not_yet_due": "Chưa đến hạn",
}
KIND_LABELS = {MONTHLY: "Báo cáo tháng", DIRECTIVES: "Văn bản chỉ đạo (VANBAN_)"}


@dataclass
class ProblemRow:
    row: str
    column: str
    value: str
    message: str


@dataclass
class Checked:
    """An upload after the contract's check: its problems, or the name it will go in under."""

    original_name: str
    problems: list[ProblemRow] = field(default_factory=list)
    warnings: list[ProblemRow] = field(default_factory=list)
    name: SubmissionName | None = None
    staged: str | None = None  # the staging token of a file that passed
    is_correction: bool = False  # the month was sent before: a new revision, once confirmed
    row_count: int = 0

    @property
    def passed(self) -> bool:
        return not self.problems


def _staging(home: Home) -> Path:
    return private_folder(home.root / "portal" / "staging")


def _published_revision(home: Home, source: str, month: date, kind: str) -> int:
    path = home.published_warehouse
    if not path.is_file():
        return 0
    try:
        with connect(path, read_only=True) as con:
            row = con.execute(
                "select max(revision_number) from marts.fct_submission_versions "
                "where source_code = ? and report_month = ? and file_kind = ?",
                [source, month, kind],
            ).fetchone()
    except duckdb.Error:
        return 0
    return int(row[0] or 0) if row else 0


def _waiting_revision(home: Home, source: str, month: date, kind: str) -> int:
    """The highest revision of the source-month waiting in the inbox (sent another way)."""
    highest = 0
    if home.inbox.is_dir():
        for path in home.inbox.iterdir():
            name = parse_name(path.name)
            if name and (name.source_code, name.month, name.kind) == (source, month, kind):
                highest = max(highest, name.revision)
    return highest


def latest_revision(home: Home, store: Store, source: str, month: date, kind: str) -> int:
    """The highest revision sent for the source-month so far, by any way; 0 if none."""
    return max(
        _published_revision(home, source, month, kind),
        _waiting_revision(home, source, month, kind),
        store.highest_revision(source, month, kind),
    )


def check_upload(
    home: Home,
    store: Store,
    account: Account,
    uploaded: Path,
    original_name: str,
    month: date,
    kind: str,
) -> Checked:
    """Check an uploaded file (already on disk, size-limited) for the account's source."""
    assert account.source_code is not None
    checked = Checked(original_name)
    extension = Path(original_name).suffix.lower().lstrip(".")
    if kind not in (MONTHLY, DIRECTIVES):
        checked.problems.append(ProblemRow("", "", kind, "Loại báo cáo không hợp lệ."))
    if extension not in FORMATS:
        checked.problems.append(
            ProblemRow(
                "",
                "",
                original_name,
                f"Tệp phải là {' hoặc '.join('.' + f for f in FORMATS)}; hãy lưu lại tệp ở "
                "một trong các định dạng đó rồi gửi lại.",
            )
        )
    if uploaded.stat().st_size > MAX_FILE_BYTES:
        checked.problems.append(
            ProblemRow("", "", "", f"Tệp lớn hơn {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        )
    if checked.problems:
        uploaded.unlink(missing_ok=True)
        return checked
    previous = latest_revision(home, store, account.source_code, month, kind)
    revision = previous + 1
    prefix = "VANBAN_" if kind == DIRECTIVES else ""
    suffix = f"_r{revision}" if revision > 1 else ""
    file_name = f"{prefix}{account.source_code}_{month:%Y-%m}{suffix}.{extension}"
    _sweep(home)
    # the token names its account: another account's token is refused before anything is moved
    token = f"{account.account_id}-{uuid.uuid4().hex}"
    folder = _staging(home) / token
    folder.mkdir(mode=PRIVATE_FOLDER_MODE)
    staged = folder / file_name
    os.replace(uploaded, staged)
    private_file(staged)  # the portal's files are its user's only
    received_at = datetime.now(UTC)
    os.utime(staged, (received_at.timestamp(), received_at.timestamp()))
    inspection = inspect_file(
        staged,
        Reference.load(home.seeds_dir()),
        received_at=received_at,
        origin={"location": f"portal:{account.login}", "sources": [account.source_code]},
    )
    for problem in inspection.validated.problems:
        row = ProblemRow(
            "" if problem.row is None else str(problem.row),
            problem.column or "",
            str(problem.fields.get("value", "") or ""),
            problem.message_vi,
        )
        (checked.problems if problem.blocking else checked.warnings).append(row)
    checked.row_count = len(inspection.validated.records)
    if checked.problems:
        shutil.rmtree(folder, ignore_errors=True)
        return checked
    checked.name = parse_name(file_name)
    checked.staged = token
    checked.is_correction = previous > 0
    return checked


_TOKEN = re.compile(r"^(?P<account>\d+)-[0-9a-f]{32}$")
STAGED_HOURS = 24  # a correction not confirmed within a day is dropped


def _sweep(home: Home) -> None:
    """Drop staged files nobody confirmed (and claims a crash left) after STAGED_HOURS."""
    limit = datetime.now(UTC).timestamp() - STAGED_HOURS * 3600
    for folder in _staging(home).iterdir():
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue


MAX_REVISION_TRIES = 20  # concurrent corrections of one month each take the next revision


def deliver(home: Home, store: Store, account: Account, token: str) -> str | None:
    """Move a staged file that passed into the inbox; its name, or None if nothing is staged
    under the token for this account's source (or another request took it first)."""
    match = _TOKEN.match(token)
    if not match or int(match["account"]) != account.account_id:
        return None
    claimed = _staging(home) / f"{token}.claimed"
    try:  # one request delivers a staged file: a second click finds nothing
        os.rename(_staging(home) / token, claimed)
    except OSError:
        return None
    try:
        files = list(claimed.iterdir())
        name = parse_name(files[0].name) if len(files) == 1 else None
        if name is None or name.source_code != account.source_code:
            return None
        staged = files[0]
        sha, size = sha256_file(staged), staged.stat().st_size
        for _ in range(MAX_REVISION_TRIES):
            # the revision may have been taken meanwhile (another upload, a file by e-mail)
            latest = latest_revision(home, store, name.source_code, name.month, name.kind)
            if latest >= name.revision:
                name = parse_name(name.with_revision(latest + 1))
                assert name is not None
            try:  # the uploads table holds each revision once: the claim of this one
                store.record_upload(
                    account,
                    source_code=name.source_code,
                    report_month=name.month,
                    file_kind=name.kind,
                    revision=name.revision,
                    file_name=name.file_name,
                    content_sha256=sha,
                    byte_count=size,
                )
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError(f"no free revision for {name.file_name} after retries")
        delivered_at = datetime.now(UTC)
        os.utime(staged, (delivered_at.timestamp(), delivered_at.timestamp()))
        home.inbox.mkdir(parents=True, exist_ok=True)  # a shared folder, maybe: its mode kept
        write_origin(home, name.file_name, f"portal:{account.login}", (name.source_code,))
        origin = home.inbox / ORIGIN_FOLDER
        private_file(private_folder(origin) / f"{name.file_name}.json")
        target = home.inbox / name.file_name
        os.replace(staged, target)
        return target.name
    finally:
        shutil.rmtree(claimed, ignore_errors=True)


def receive(
    home: Home,
    store: Store,
    account: Account,
    uploaded: Path,
    original_name: str,
    month: date,
    kind: str,
    address: str,
) -> tuple[Checked, str | None]:
    """One uploaded file of the account's source, checked; one that passes for a month not sent
    before goes into the inbox at once (its name is returned), a correction stays staged until
    the sender confirms it (`deliver`). The audit log records either."""
    checked = check_upload(home, store, account, uploaded, original_name, month, kind)
    if checked.passed and not checked.is_correction:
        delivered = deliver(home, store, account, checked.staged or "")
        store.log(account.login, "upload", f"{original_name} -> {delivered}", address)
        checked.staged = None
        return checked, delivered
    action = "upload_staged" if checked.passed else "upload_refused"
    store.log(account.login, action, original_name, address)
    return checked, None


# --- what the pages show ------------------------------------------------------------------


def _published_rows(home: Home, query: str, parameters: list) -> list[dict] | None:
    """Rows of the published copy; None when there is none yet."""
    if not home.published_warehouse.is_file():
        return None
    with connect(home.published_warehouse, read_only=True) as con:
        return fetch_dicts(con, query, parameters)


def published_at(home: Home) -> datetime | None:
    path = home.published_warehouse
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC) if path.is_file() else None


def source_months(home: Home, store: Store, source_code: str) -> dict:
    """A source's months as the last nightly run left them, and what it sent since."""
    rows = _published_rows(
        home,
        """
        select s.report_month, s.submission_status, s.is_empty_report, s.row_count, s.days_late,
            s.due_date, s.first_received_date, s.file_name, s.rejected_file_name,
            s.error_messages_vi, s.held_file_name, s.held_by_period_code,
            (select string_agg(f.detail_vi, ' ') from dq.flags f
             where f.source_code = s.source_code and f.report_month = s.report_month
               and f.check_name in ('monthly_trafficking_posting', 'monthly_grassroots_posting')
               and f.period_code = (select max(g.period_code) from dq.flags g
                                    where g.source_code = s.source_code
                                      and g.report_month = s.report_month)) as posting_flag
        from marts.rpt_submission_status s
        where s.source_code = ?
        order by s.report_month desc""",
        [source_code],
    )
    since = published_at(home)
    return {
        "months": rows or [],
        "has_warehouse": rows is not None,
        "published_at": since,
        "sent_since": store.uploads_of(source_code, since),
    }
