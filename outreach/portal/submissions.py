"""What the portal does with a file, and what it shows of a source's months.

An upload is checked at once by the contract code ingest uses (`ingest.load.inspect_file`: no
second implementation). The portal names the file (`<SOURCE>_<YYYY-MM>[_rN].<ext>`): the
sender chooses the month, and a second file for a month already sent becomes the next revision
once the sender confirms it is a correction. A file whose dates all fall in another month than
the one chosen is checked again as that month's file and kept staged until the sender confirms
that month; the same bytes as the version of the month that counts now are answered as already
received, not taken again. A file that passes is written into the inbox atomically, with its
upload time as its delivery time and a note of whose it may be (ingest refuses it as another
source's otherwise); the nightly run ingests it.

The months are read from the published copy of the warehouse (`marts.rpt_submission_status`,
the checks' `dq.flags`), never from the working file.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from sqlalchemy.exc import IntegrityError

from ingest.files import MAX_FILE_BYTES, sha256_file
from ingest.load import inspect_file
from ingest.naming import DIRECTIVES, FORMATS, MONTHLY, SubmissionName, parse_name
from ingest.pull import ORIGIN_FOLDER, write_origin
from ingest.validate import DIRECTIVE_COLUMNS, MONTHLY_COLUMNS, Validated
from outreach.core.constants import LOCAL_TZ
from outreach.core.home import Home
from outreach.core.registry import Reference, Source
from outreach.core.settings import crosscheck_enabled, settings
from outreach.core.warehouse import connect, fetch_dicts
from outreach.portal.store import (
    PRIVATE_FOLDER_MODE,
    Account,
    Store,
    private_file,
    private_folder,
)
from report.crosscheck import claimed_above_found, claimed_findings

STATE_LABELS = {
    "on_time": "Đã nhận, đúng hạn",
    "late": "Đã nhận, muộn",
    "rejected": "Bị trả lại",
    "missing": "Chưa gửi",
    "not_yet_due": "Chưa đến hạn",
}
KIND_LABELS = {MONTHLY: "Báo cáo tháng", DIRECTIVES: "Văn bản chỉ đạo (VANBAN_)"}
# a column as the template heads it: what a sender reads, never the contract's machine name
COLUMN_LABELS = {column.name: column.label for column in (*MONTHLY_COLUMNS, *DIRECTIVE_COLUMNS)}
RECEIVED_STATES = ("on_time", "late")


def local_today() -> date:
    """Today in Vietnam, where a month ends for a sender."""
    return datetime.now(LOCAL_TZ).date()


def may_send(source: Source, month: date, today: date) -> bool:
    """Whether the source may send a file for `month`: one it is registered for, begun by
    `today` (a file of a month that has not begun is refused by the contract)."""
    return month.day == 1 and month <= today and source.is_active(month)


@dataclass
class ProblemRow:
    row: str
    column: str
    value: str
    message: str


@dataclass
class Received:
    """The version of a source-month that counts now: the latest accepted, or one waiting for
    the night (sent through the portal or another way)."""

    file_name: str
    content_sha256: str
    at: datetime

    @property
    def day(self) -> str:
        return f"{self.at.astimezone(LOCAL_TZ):%d/%m/%Y}"


class AlreadyReceived(Exception):
    """The staged bytes are those of the version that counts now: nothing to send."""

    def __init__(self, received: Received) -> None:
        super().__init__(received.file_name)
        self.received = received


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
    chosen_month: date | None = None  # the month the sender chose
    # the month every date of the file falls in, when it is not the chosen one: the file was
    # checked again as that month's (its problems, or its staged name, are that month's)
    dates_month: date | None = None
    date_count: int = 0
    received: Received | None = None  # the same bytes as the version that counts now

    @property
    def passed(self) -> bool:
        return not self.problems and self.received is None

    @property
    def goes_in_at_once(self) -> bool:
        """A new month, the month chosen: nothing to confirm."""
        return self.passed and not self.is_correction and self.dates_month is None


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


def _waiting_files(home: Home, source: str, month: date, kind: str) -> list[tuple[Path, int]]:
    """The files of the source-month waiting in the inbox (sent another way), with revisions."""
    found = []
    if home.inbox.is_dir():
        for path in home.inbox.iterdir():
            name = parse_name(path.name)
            if name and (name.source_code, name.month, name.kind) == (source, month, kind):
                found.append((path, name.revision))
    return found


def latest_revision(home: Home, store: Store, source: str, month: date, kind: str) -> int:
    """The highest revision sent for the source-month so far, by any way; 0 if none."""
    return max(
        _published_revision(home, source, month, kind),
        max((revision for _, revision in _waiting_files(home, source, month, kind)), default=0),
        store.highest_revision(source, month, kind),
    )


def current_version(
    home: Home, store: Store, source: str, month: date, kind: str
) -> Received | None:
    """The version of the source-month that counts now: of the versions accepted (the
    published warehouse), sent through the portal since (unless the night refused them) or
    waiting in the inbox, the highest revision; None if there is none."""
    versions: list[tuple[int, datetime, Received]] = []
    refused: set[str] = set()
    rows = _published_rows(
        home,
        "select file_name, revision_number, content_sha256, received_at, submission_status "
        "from marts.fct_submission_versions "
        "where source_code = ? and report_month = ? and file_kind = ?",
        [source, month, kind],
    )
    for row in rows or []:
        if row["submission_status"] != "accepted":
            refused.add(row["file_name"])
            continue
        at = row["received_at"]
        versions.append(
            (row["revision_number"], at, Received(row["file_name"], row["content_sha256"], at))
        )
    for upload in store.uploads_of(source):
        if (upload["report_month"], upload["file_kind"]) != (month, kind):
            continue
        if upload["file_name"] in refused:
            continue
        received = Received(upload["file_name"], upload["content_sha256"], upload["at"])
        versions.append((upload["revision"], upload["at"], received))
    for path, revision in _waiting_files(home, source, month, kind):
        try:
            at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
            versions.append((revision, at, Received(path.name, sha256_file(path), at)))
        except OSError:  # taken by the night's ingest meanwhile
            continue
    if not versions:
        return None
    return max(versions, key=lambda version: (version[0], version[1]))[2]


def _next_name(
    home: Home, store: Store, source: str, month: date, kind: str, extension: str
) -> tuple[str, bool]:
    """The name a file of the source-month goes in under, and whether it is a correction."""
    previous = latest_revision(home, store, source, month, kind)
    revision = previous + 1
    prefix = "VANBAN_" if kind == DIRECTIVES else ""
    suffix = f"_r{revision}" if revision > 1 else ""
    return f"{prefix}{source}_{month:%Y-%m}{suffix}.{extension}", previous > 0


def _inspect(
    reference: Reference, account: Account, staged: Path, received_at: datetime
) -> Validated:
    return inspect_file(
        staged,
        reference,
        received_at=received_at,
        origin={"location": f"portal:{account.login}", "sources": [account.source_code]},
    ).validated


def _take_result(checked: Checked, validated: Validated) -> None:
    """The problems of a check, as the sender reads them (the template's column labels)."""
    checked.problems, checked.warnings = [], []
    for problem in validated.problems:
        row = ProblemRow(
            "" if problem.row is None else str(problem.row),
            COLUMN_LABELS.get(problem.column or "", ""),
            str(problem.fields.get("value", "") or ""),
            problem.message_vi,
        )
        (checked.problems if problem.blocking else checked.warnings).append(row)
    checked.row_count = len(validated.records)


def month_the_dates_say(dates: list[date]) -> date | None:
    """The one month (by the reporting calendar) every date falls in; None if several or none."""
    calendar = settings().calendar
    months = {calendar.month_of(day) for day in dates}
    return months.pop() if len(months) == 1 else None


def check_upload(
    home: Home,
    store: Store,
    account: Account,
    uploaded: Path,
    original_name: str,
    month: date,
    kind: str,
    today: date | None = None,
) -> Checked:
    """Check an uploaded file (already on disk, size-limited) for the account's source."""
    assert account.source_code is not None
    source_code = account.source_code
    checked = Checked(original_name, chosen_month=month)
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
    content_sha256 = sha256_file(uploaded)
    current = current_version(home, store, source_code, month, kind)
    if current is not None and current.content_sha256 == content_sha256:
        uploaded.unlink(missing_ok=True)
        checked.received = current
        return checked
    file_name, is_correction = _next_name(home, store, source_code, month, kind, extension)
    token, staged = _stage(home, account, uploaded, file_name)
    received_at = datetime.fromtimestamp(staged.stat().st_mtime, tz=UTC)
    reference = Reference.load(home.seeds_dir())
    validated = _inspect(reference, account, staged, received_at)
    _take_result(checked, validated)
    if checked.problems:
        other = month_the_dates_say(validated.dates)
        source = reference.sources.get(source_code)
        today = today or local_today()
        if other is None or other == month or source is None or not may_send(source, other, today):
            shutil.rmtree(staged.parent, ignore_errors=True)
            return checked
        # every date says another month: the same bytes checked as that month's file
        checked.dates_month, checked.date_count = other, len(validated.dates)
        current = current_version(home, store, source_code, other, kind)
        if current is not None and current.content_sha256 == content_sha256:
            shutil.rmtree(staged.parent, ignore_errors=True)
            checked.problems, checked.warnings, checked.received = [], [], current
            return checked
        file_name, is_correction = _next_name(home, store, source_code, other, kind, extension)
        staged = staged.rename(staged.with_name(file_name))
        _take_result(checked, _inspect(reference, account, staged, received_at))
        if checked.problems:
            shutil.rmtree(staged.parent, ignore_errors=True)
            return checked
    checked.name = parse_name(file_name)
    checked.staged = token
    checked.is_correction = is_correction
    return checked


_TOKEN = re.compile(r"^(?P<account>\d+)-[0-9a-f]{32}$")
STAGED_HOURS = 24  # a staged file not confirmed within a day is dropped
STAGED_PER_ACCOUNT = 10  # an account's staged files beyond these: the oldest are dropped


def _stage(home: Home, account: Account, uploaded: Path, file_name: str) -> tuple[str, Path]:
    """The uploaded file moved into a folder of its own under staging, named `file_name`: the
    folder's name is the token the sender confirms it with."""
    _sweep(home)
    _bound(home, account)
    # the token names its account: another account's token is refused before anything is moved
    token = f"{account.account_id}-{uuid.uuid4().hex}"
    folder = _staging(home) / token
    folder.mkdir(mode=PRIVATE_FOLDER_MODE)
    staged = folder / file_name
    os.replace(uploaded, staged)
    private_file(staged)  # the portal's files are its user's only
    received_at = datetime.now(UTC).timestamp()
    os.utime(staged, (received_at, received_at))
    return token, staged


def _sweep(home: Home) -> None:
    """Drop staged files nobody confirmed (and claims a crash left) after STAGED_HOURS."""
    limit = datetime.now(UTC).timestamp() - STAGED_HOURS * 3600
    for folder in _staging(home).iterdir():
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue


def _bound(home: Home, account: Account) -> None:
    """Room for one more staged file of the account: its oldest beyond STAGED_PER_ACCOUNT - 1
    are dropped (an account cannot fill the disk with files it never confirms)."""
    own = []
    for folder in _staging(home).glob(f"{account.account_id}-*"):
        match = _TOKEN.match(folder.name)
        if match and int(match["account"]) == account.account_id:
            try:
                own.append((folder.stat().st_mtime, folder))
            except FileNotFoundError:
                continue
    for _, folder in sorted(own)[: max(0, len(own) - STAGED_PER_ACCOUNT + 1)]:
        shutil.rmtree(folder, ignore_errors=True)


MAX_REVISION_TRIES = 20  # concurrent corrections of one month each take the next revision


def deliver(home: Home, store: Store, account: Account, token: str) -> str | None:
    """Move a staged file that passed into the inbox; its name, or None if nothing is staged
    under the token for this account's source (or another request took it first). Raises
    AlreadyReceived when its bytes are those of the version that counts now (sent meanwhile)."""
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
        current = current_version(home, store, name.source_code, name.month, name.kind)
        if current is not None and current.content_sha256 == sha:
            raise AlreadyReceived(current)
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
    """One uploaded file of the account's source, checked; one that passes for the month chosen,
    not sent before, goes into the inbox at once (its name is returned); a correction, or a
    file whose dates say another month, stays staged until the sender confirms it (`deliver`).
    The audit log records each."""
    checked = check_upload(home, store, account, uploaded, original_name, month, kind)
    if checked.goes_in_at_once:
        try:
            delivered = deliver(home, store, account, checked.staged or "")
        except AlreadyReceived as exc:  # the same bytes, delivered by another request meanwhile
            checked.received, delivered = exc.received, None
        checked.staged = None
        if delivered is not None:
            store.log(account.login, "upload", f"{original_name} -> {delivered}", address)
            return checked, delivered
    if checked.received is not None:
        action, detail = "upload_duplicate", f"{original_name} = {checked.received.file_name}"
    elif not checked.passed:
        action, detail = "upload_refused", original_name
    elif checked.dates_month is not None and checked.name is not None:
        action, detail = "upload_month_staged", f"{original_name} -> {checked.name.file_name}"
    else:
        action, detail = "upload_staged", original_name
    store.log(account.login, action, detail, address)
    return checked, None


# --- the months a sender is offered ---------------------------------------------------------

RECENT_MONTHS = 13  # the months offered besides those the warehouse has a state for


@dataclass(frozen=True)
class MonthOption:
    month: date
    state: str  # received, rejected, missing, under_way

    @property
    def label(self) -> str:
        said = MONTH_STATE_LABELS.get(self.state, "")
        return f"Tháng {self.month:%m/%Y}" + (f" ({said})" if said else "")


MONTH_STATE_LABELS = {
    "received": "đã nhận",
    "rejected": "bị trả lại",
    "missing": "chưa gửi",
    "under_way": "chưa hết tháng",
}


@dataclass
class MonthChoice:
    """The months a source may send, newest first, and the one its pickers start on."""

    options: list[MonthOption]
    default: date | None
    source: Source
    has_ended: bool
    successors: list[str]  # the sources reporting in its place from the day after its last

    @property
    def default_is_due(self) -> bool:
        """Whether the pickers start on a month still to send (else all were received)."""
        return any(
            option.month == self.default and option.state in ("missing", "rejected")
            for option in self.options
        )


def _months_back(latest: date, count: int) -> list[date]:
    months, year, month = [], latest.year, latest.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _received_months(home: Home, source_code: str, data: dict) -> tuple[set[date], set[date]]:
    """The months of monthly reports received (the last night's, sent since, waiting in the
    inbox) and those refused and not sent again."""
    received = {
        row["report_month"] for row in data["months"] if row["submission_status"] in RECEIVED_STATES
    }
    received |= {
        upload["report_month"] for upload in data["sent_since"] if upload["file_kind"] == MONTHLY
    }
    if home.inbox.is_dir():
        for path in home.inbox.iterdir():
            name = parse_name(path.name)
            if name and name.source_code == source_code and name.kind == MONTHLY:
                received.add(name.month)
    rejected = {
        row["report_month"] for row in data["months"] if row["submission_status"] == "rejected"
    }
    return received, rejected - received


def month_choice(
    home: Home, source_code: str, data: dict, today: date | None = None
) -> MonthChoice:
    """The source's months to offer: the months it is registered for (never one after it ended
    or before it began), begun by today, the RECENT_MONTHS up to its last, every month the
    warehouse has a state for and every month sent since. The pickers start on the latest month
    ended and not received (all received: the latest ended)."""
    today = today or local_today()
    reference = Reference.load(home.seeds_dir())
    source = reference.sources[source_code]
    latest = today.replace(day=1)
    if source.valid_to is not None:
        latest = min(latest, source.valid_to.replace(day=1))
    received, rejected = _received_months(home, source_code, data)
    candidates = set(_months_back(latest, RECENT_MONTHS)) | received | rejected
    candidates |= {row["report_month"] for row in data["months"]}
    months = sorted((m for m in candidates if may_send(source, m, today)), reverse=True)
    last_ended = settings().calendar.last_ended_month(today)
    options = []
    for month in months:
        if month > last_ended:
            state = "under_way"
        elif month in received:
            state = "received"
        elif month in rejected:
            state = "rejected"
        else:
            state = "missing"
        options.append(MonthOption(month, state))
    ended = [option.month for option in options if option.state != "under_way"]
    waiting = [option.month for option in options if option.state in ("missing", "rejected")]
    after = source.valid_to + timedelta(days=1) if source.valid_to else None
    return MonthChoice(
        options,
        next(iter(waiting or ended or months), None),
        source,
        source.has_ended(today),
        reference.successors_of(source, after) if after else [],
    )


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
        "findings": _crosscheck_findings(home, source_code) if rows is not None else {},
    }


def _crosscheck_findings(home: Home, source_code: str) -> dict[date, dict[str, list[dict]]]:
    """What did not match the source's site, by month, when the deployment cross-checks: its
    claimed addresses not matched, and the topics it claimed well above what was found (its
    own rows only: the page is the source's)."""
    if not crosscheck_enabled():
        return {}
    with connect(home.published_warehouse, read_only=True) as con:
        addresses = claimed_findings(con, source_code)
        counts = claimed_above_found(con, source_code)
    by_month: dict[date, dict[str, list[dict]]] = {}
    for row in addresses:
        by_month.setdefault(row["report_month"], {"addresses": [], "counts": []})[
            "addresses"
        ].append(row)
    for row in counts:
        by_month.setdefault(row["report_month"], {"addresses": [], "counts": []})["counts"].append(
            row
        )
    return by_month
