"""Ingest: take each new file from the inbox, check it, load it or quarantine it, move it away.

Files are checked one by one in Python (the contract's rules: encodings, aliases, Vietnamese
numbers and dates, codes and names against the registry) and their typed rows are loaded in
batches: one transaction writes the manifest rows, data rows and problems of many files at once,
through DuckDB's bulk insert from a data frame. A rejected file gets its bilingual error report
and is moved untouched to quarantine. The commit comes before any move, so a run killed anywhere
leaves each file either unrecorded (the next run takes it again) or recorded and still in the
inbox (the next run only finishes the move). Running ingest again over the same files changes
nothing.

No file stops the others: whatever goes wrong with one file (it cannot be read, its name is not
Unicode, a check fails in a way no one foresaw) is that file's error. It is quarantined with its
reason, or, if it cannot even be recorded or moved, left in the inbox and listed in the run's
result and in `ingest/waiting.json`, which `outreach status` shows to the department."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypedDict, cast
from urllib.parse import quote

import pandas as pd

from ingest.files import (
    ERROR_REPORT_SUFFIX,
    MAX_FILE_BYTES,
    is_waiting,
    sha256_file,
    submission_id_of,
)
from ingest.naming import DIRECTIVES, FORMATS, SubmissionName, diagnose_name, parse_name
from ingest.problems import Problem, error, render_report
from ingest.reader import UnreadableFile, read_table
from ingest.validate import Validated, has_header_for, validate_table
from ingest.warehouse import connect
from outreach.core.constants import LOCAL_TZ
from outreach.core.home import Home
from outreach.core.registry import Reference

log = logging.getLogger(__name__)

# the months of file names are months of the province's calendar

MAX_NAME_BYTES = 255  # a file name on every file system ingest writes to
ORIGIN_FOLDER = ".origin"  # the pull's note of where each pulled file came from
# spreadsheets of other formats, each refused with how to save it as .xlsx
OTHER_WORKBOOKS = {"xls": "legacy_xls", "ods": "ods_workbook"}

_ROW_COLUMNS = [
    "submission_id",
    "row_number",
    "activity_date",
    "topic_code",
    "output_type_code",
    "quantity",
    "commune_code",
    "people_reached",
    "title",
    "url",
    "note",
]
_DIRECTIVE_COLUMNS = [
    "submission_id",
    "row_number",
    "document_number",
    "issued_date",
    "summary",
    "topic_code",
]


@dataclass
class IngestSummary:
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # not committed: left in the inbox

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "recovered": self.recovered,
            "failed": self.failed,
        }


def inbox_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox, oldest first; hidden and partial files are not ready yet, and
    error reports are the product's own (`ingest.files.is_waiting`)."""
    if not inbox.is_dir():
        return []
    files = []
    for path in inbox.iterdir():
        if not is_waiting(path.name):
            continue
        try:
            if path.is_file() and not path.is_symlink():
                files.append((path.stat().st_mtime, path.name, path))
        except OSError:  # gone, or a name the file system cannot stat: the next run sees
            continue
    return [path for _, _, path in sorted(files, key=lambda item: (item[0], item[1]))]


# characters that end a line (`str.splitlines`): a name is one line in the warehouse, the error
# report and the logs, so a name holding one is kept and stored with it percent-encoded
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def display_name(path: Path) -> str:
    """A file's name as Unicode text on one line: itself, or with the bytes that are not UTF-8,
    and any line break, percent-encoded (such a name is kept, and stored, under this form)."""
    if not _is_unicode(path.name):
        return quote(os.fsencode(path.name), safe=" !#$&'()+,-.;=@[]^_`{}~")
    return "".join(quote(char, safe="") if char in _LINE_BREAKS else char for char in path.name)


def _is_unicode(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _free_destination(folder: Path, file_name: str, submission_id: str) -> Path:
    """`folder/file_name`, or a subfolder named by content when that name is taken."""
    candidate = folder / file_name
    if candidate.exists():
        candidate = folder / submission_id[:12] / file_name
    return candidate


def _report_path(destination: Path, submission_id: str) -> Path:
    """The error report beside a quarantined file: its name with `.errors.txt`, shortened (and
    told apart by the submission) where that would be too long for the file system."""
    name = destination.name + ERROR_REPORT_SUFFIX
    if len(name.encode()) <= MAX_NAME_BYTES:
        return destination.with_name(name)
    keep = destination.name.encode()[: MAX_NAME_BYTES - 40].decode("utf-8", "ignore")
    return destination.with_name(f"{keep}~{submission_id[:12]}{ERROR_REPORT_SUFFIX}")


@dataclass
class _Seen:
    """What the warehouse already holds, as the checks of a new file need it."""

    known: dict[str, tuple[str, str]]  # submission -> (stored path, status)
    accepted_names: dict[str, str]  # file name -> submission
    # (kind, source, month, revision) -> (submission, file name, content sha-256)
    accepted_versions: dict[tuple, tuple[str, str, str]] = field(default_factory=dict)
    latest_revision: dict[tuple, int] = field(default_factory=dict)  # (kind, source, month)

    @classmethod
    def load(cls, con) -> _Seen:
        known = {
            row[0]: (row[1], row[2])
            for row in con.execute(
                "select submission_id, stored_path, status from raw.submission_manifest"
            ).fetchall()
        }
        seen = cls(known, {})
        for sid, file_name, kind, source, month, revision, sha in con.execute(
            "select submission_id, file_name, file_kind, source_code, report_month, revision, "
            "content_sha256 from raw.submission_manifest where status = 'accepted' "
            "order by received_at, submission_id"
        ).fetchall():
            seen.accept(sid, file_name, kind, source, month, revision, sha)
        return seen

    def accept(
        self, submission_id: str, file_name: str, kind, source, month, revision, content_sha256: str
    ) -> None:
        self.accepted_names[file_name] = submission_id
        if source is None or month is None or revision is None:
            return
        self.accepted_versions.setdefault(
            (kind, source, month, revision), (submission_id, file_name, content_sha256)
        )
        key = (kind, source, month)
        self.latest_revision[key] = max(self.latest_revision.get(key, 0), revision)


def _check_name(
    file_name: str,
    received_at: datetime,
    reference: Reference,
    seen: _Seen,
    submission_id: str,
    content_sha256: str | None = None,
    origin: dict | None = None,
) -> tuple[SubmissionName | None, list[Problem]]:
    name = parse_name(file_name)
    if name is None:
        diagnosis = diagnose_name(file_name)
        extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        if diagnosis.code == "bad_name" and extension in OTHER_WORKBOOKS:
            return None, [error(OTHER_WORKBOOKS[extension], name=file_name)]
        if diagnosis.code == "bad_name" and extension and extension not in FORMATS:
            return None, [error("unsupported_format", name=file_name)]
        # a diagnosis's fields are the message's words, never `row` or `column`
        return None, [error(diagnosis.code, **cast(dict[str, Any], diagnosis.fields))]
    if name.extension in OTHER_WORKBOOKS:
        return name, [error(OTHER_WORKBOOKS[name.extension], name=file_name)]
    if name.extension not in FORMATS:
        return name, [error("unsupported_format", name=file_name)]
    problems: list[Problem] = []
    source = reference.sources.get(name.source_code)
    if source is None:
        problems.append(error("unknown_source", source=name.source_code))
    elif not source.is_active(name.month):
        problems.append(
            error(
                "source_inactive",
                source=name.source_code,
                month=name.month_label,
                month_vi=f"{name.month:%m/%Y}",
                **_registration_fields(source, name.month, reference),
            )
        )
    owners = (origin or {}).get("sources")
    if owners and origin is not None and name.source_code not in owners:
        problems.append(
            error(
                "wrong_delivery",
                source=name.source_code,
                owners=", ".join(owners),
                location=origin.get("location", ""),
            )
        )
    received_local = received_at.astimezone(LOCAL_TZ)
    if name.month > received_local.date():
        problems.append(
            error(
                "future_month",
                month=name.month_label,
                month_vi=f"{name.month:%m/%Y}",
                received=f"{received_local:%d/%m/%Y}",
            )
        )
    previous = seen.accepted_names.get(file_name)
    same = seen.accepted_versions.get((name.kind, name.source_code, name.month, name.revision))
    next_revision = max(
        2, seen.latest_revision.get((name.kind, name.source_code, name.month), name.revision) + 1
    )
    if previous is not None and previous != submission_id:
        problems.append(
            error("name_reused", name=file_name, suggestion=name.with_revision(next_revision))
        )
    elif same is not None and same[0] != submission_id and same[2] != content_sha256:
        problems.append(
            error(
                "same_revision",
                previous=same[1],
                source=name.source_code,
                month=name.month_label,
                month_vi=f"{name.month:%m/%Y}",
                revision=name.revision,
                suggestion=name.with_revision(next_revision),
            )
        )
    return name, problems


class _Registration(TypedDict):
    span_vi: str
    span_en: str
    successor_vi: str
    successor_en: str


def _registration_fields(source, month, reference: Reference) -> _Registration:
    """The dates a source reports between, and who reports in its place that month."""
    successors = reference.successors_of(source, month)
    successor_vi = successor_en = ""
    if successors:
        codes = ", ".join(successors)
        successor_vi = f" Tháng này do {codes} báo cáo (tên tệp {successors[0]}_{month:%Y-%m})."
        successor_en = f" That month {codes} reports (file {successors[0]}_{month:%Y-%m})."
    return {
        "span_vi": source.span_vi,
        "span_en": source.span_en,
        "successor_vi": successor_vi,
        "successor_en": successor_en,
    }


class FileDetails(TypedDict, total=False):
    """How a file was read: its text encoding (with the legacy font, if any) and its sheet."""

    text_encoding: str | None
    sheet_name: str | None


def _validate(
    data: bytes, name: SubmissionName, reference: Reference
) -> tuple[Validated, FileDetails]:
    try:
        table = read_table(data, name.extension, has_header_for(name.kind))
    except UnreadableFile as exc:
        problem = error("unreadable", detail_en=exc.detail_en, detail_vi=exc.detail_vi)
        return Validated([], [problem], None), {}
    validated = validate_table(table, name, reference.sources[name.source_code], reference)
    encoding = table.encoding
    if table.repair is not None and table.repair.reading != encoding:
        encoding = f"{encoding}+{table.repair.reading}" if encoding else table.repair.reading
    return validated, {"text_encoding": encoding, "sheet_name": table.sheet}


def _insert(
    con,
    table: str,
    columns: list[str],
    records: Sequence[Mapping[str, object]],
    casts: dict[str, str],
):
    if not records:
        return
    frame = pd.DataFrame.from_records(records, columns=columns)  # noqa: F841 (read by DuckDB)
    select = ", ".join(f"{c}::{casts[c]}" if c in casts else c for c in columns)
    con.execute(f"insert into {table} ({', '.join(columns)}) select {select} from frame")


_MANIFEST_CASTS = {
    "report_month": "date",
    "revision": "integer",
    "file_size_bytes": "bigint",
    "received_at": "timestamptz",
    "ingested_at": "timestamptz",
    "error_count": "integer",
    "warning_count": "integer",
    "row_count": "integer",
    "header_row": "integer",
}


class _Manifest(TypedDict):
    """A file's row of raw.submission_manifest (its keys, in this order, are the columns)."""

    submission_id: str
    content_sha256: str
    file_name: str
    file_kind: str | None
    source_code: str | None
    report_month: date | None
    revision: int | None
    file_format: str | None
    file_size_bytes: int
    received_at: datetime
    ingested_at: datetime
    status: str
    error_count: int
    warning_count: int
    row_count: int
    text_encoding: str | None
    sheet_name: str | None
    header_row: int | None
    stored_path: str
    error_report_path: str | None


@dataclass
class _Pending:
    """A file checked and recorded in memory, to be committed with its batch, then moved."""

    path: Path
    destination: Path
    manifest: _Manifest
    validated: Validated
    report_path: Path | None = None  # a rejected file's error report, written after commit
    report_text: str | None = None
    origin: Path | None = None  # the pull's note, removed once the file is recorded


@dataclass
class _Batch:
    """Files whose rows go to the warehouse in one transaction: many small files, one commit.

    The commit comes before any move, so a run killed at any point leaves each file either
    unrecorded in the inbox (the next run takes it again) or recorded and still in the inbox
    (the next run only finishes its move).
    """

    max_files: int = 500
    max_rows: int = 100_000
    items: list[_Pending] = field(default_factory=list)
    rows: int = 0

    def add(self, pending: _Pending) -> bool:
        """Add a file; True when the batch is full and should be flushed."""
        self.items.append(pending)
        self.rows += len(pending.validated.records)
        return len(self.items) >= self.max_files or self.rows >= self.max_rows

    def flush(self, con, home: Home) -> dict[str, str]:
        """Commit the batch, then write its error reports and move its files. Returns the files
        that could not be committed, or not moved after their commit, with why (they stay in
        the inbox, logged)."""
        if not self.items:
            return {}
        failed: dict[str, str] = {}
        try:
            _record(con, self.items)
            committed = self.items
        except Exception:
            # one file the warehouse refuses must not hold back the others: one by one
            log.exception(
                "a batch of %d files could not be committed; committing them one by one",
                len(self.items),
            )
            committed = []
            for item in self.items:
                recorded = _record_alone(con, home, item)
                if recorded is None:
                    failed[item.manifest["file_name"]] = "the warehouse refused its record"
                else:
                    committed.append(recorded)
        for item in committed:
            try:
                _write_error_report(item)
                _move(item.path, item.destination)
                if item.origin is not None:
                    item.origin.unlink(missing_ok=True)
            except OSError as exc:
                log.exception(
                    "%s was recorded but could not be moved to %s; the next run tries again",
                    item.manifest["file_name"],
                    item.destination,
                )
                failed[item.manifest["file_name"]] = f"recorded, not moved: {exc}"
        self.items, self.rows = [], 0
        return failed


def _record_alone(con, home: Home, item: _Pending) -> _Pending | None:
    """Commit one file; if the warehouse refuses its rows, quarantine it with the reason."""
    reference = str(item.manifest["submission_id"])[:12]
    try:
        _record(con, [item])
        return item
    except Exception:
        log.exception(
            "%s could not be committed (reference %s); recording it as refused",
            item.manifest["file_name"],
            reference,
        )
    fallback = _refused(
        home,
        item.path,
        item.manifest,
        [error("internal_error", reference=reference)],
        None,
        item.origin,
    )
    try:
        _record(con, [fallback])
        return fallback
    except Exception:
        log.exception(
            "%s could not be recorded at all; it stays in the inbox", item.manifest["file_name"]
        )
        return None


def _record(con, items: list[_Pending]) -> None:
    """Manifest rows, data rows and problems of every file of a batch, in one transaction."""
    manifests: list[_Manifest] = []
    rows: list[dict[str, object]] = []
    directives: list[dict[str, object]] = []
    problems: list[dict[str, object]] = []
    for item in items:
        submission_id = item.manifest["submission_id"]
        manifests.append(item.manifest)
        target = directives if item.manifest["file_kind"] == DIRECTIVES else rows
        target.extend(
            {"submission_id": submission_id, **record} for record in item.validated.records
        )
        problems.extend(
            {
                "submission_id": submission_id,
                "problem_number": number,
                "severity": "error" if problem.blocking else "warning",
                "problem_code": problem.code,
                "row_number": problem.row,
                "column_name": problem.column,
                "message_vi": problem.message_vi,
                "message_en": problem.message_en,
            }
            for number, problem in enumerate(item.validated.problems, start=1)
        )
    con.execute("begin transaction")
    try:
        _insert(con, "raw.submission_manifest", list(items[0].manifest), manifests, _MANIFEST_CASTS)
        _insert(
            con, "raw.directive_documents", _DIRECTIVE_COLUMNS, directives, {"issued_date": "date"}
        )
        _insert(
            con,
            "raw.submission_rows",
            _ROW_COLUMNS,
            rows,
            {"activity_date": "date", "quantity": "bigint", "people_reached": "bigint"},
        )
        _insert(
            con,
            "raw.submission_problems",
            [
                "submission_id",
                "problem_number",
                "severity",
                "problem_code",
                "row_number",
                "column_name",
                "message_vi",
                "message_en",
            ],
            problems,
            {"row_number": "integer"},
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _write_error_report(item: _Pending) -> None:
    if item.report_path is not None and item.report_text is not None:
        item.report_path.parent.mkdir(parents=True, exist_ok=True)
        item.report_path.write_text(item.report_text, encoding="utf-8")


def _move(path: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, destination)


def ingest_inbox(
    home: Home,
    inbox: Path | None = None,
    reference: Reference | None = None,
    *,
    batch_files: int = 500,
) -> IngestSummary:
    """Ingest every new file of the inbox (default: the home's inbox) into the warehouse.

    Files are committed `batch_files` at a time (fewer when their rows pass 100,000). No single
    file can stop the run: see the module's docstring.
    """
    inbox = inbox or home.inbox
    reference = reference or Reference.load(home.seeds_dir())
    summary = IngestSummary()
    home.ensure()
    batch = _Batch(max_files=batch_files)
    reasons: dict[str, str] = {}
    with connect(home.warehouse) as con:
        seen = _Seen.load(con)
        for path in inbox_files(inbox):
            shown = display_name(path)
            try:
                outcome, pending = _ingest_file(home, path, reference, seen, inbox)
            except Exception as exc:
                # a file that even its refusal cannot be made for stays, with its reason
                log.exception("%s could not be ingested; it stays in the inbox", shown)
                summary.failed.append(shown)
                reasons[shown] = f"{type(exc).__name__}: {str(exc)[:200]}"
                continue
            getattr(summary, outcome).append(shown)
            if pending is not None and batch.add(pending):
                _drop_failed(summary, batch.flush(con, home), reasons)
        _drop_failed(summary, batch.flush(con, home), reasons)
    _write_waiting(home, inbox, reasons)
    with contextlib.suppress(OSError):
        (inbox / ORIGIN_FOLDER).rmdir()  # once every pulled file is recorded
    log.info(
        "ingest: %d accepted, %d rejected, %d duplicates, %d recovered, %d left in the inbox",
        len(summary.accepted),
        len(summary.rejected),
        len(summary.duplicates),
        len(summary.recovered),
        len(summary.failed),
    )
    return summary


def _drop_failed(summary: IngestSummary, failed: dict[str, str], reasons: dict[str, str]):
    for name, reason in failed.items():
        for outcome in (summary.accepted, summary.rejected, summary.recovered):
            if name in outcome:
                outcome.remove(name)
        summary.failed.append(name)
        reasons[name] = reason


def _write_waiting(home: Home, inbox: Path, reasons: dict[str, str]) -> None:
    """The files this run had to leave in the inbox, and why, for `outreach status`."""
    path = home.waiting_list
    path.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    entries = [
        {"file_name": name, "reason": reason, "checked_at": now}
        for name, reason in sorted(reasons.items())
    ]
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(
        json.dumps({"inbox": str(inbox), "files": entries}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    os.replace(partial, path)


@dataclass
class Inspection:
    """What the contract says of one file: its parsed name (if any), records and problems."""

    name: SubmissionName | None
    validated: Validated
    details: FileDetails

    def __iter__(self):
        return iter((self.name, self.validated, self.details))


def inspect_file(
    path: Path,
    reference: Reference,
    *,
    received_at: datetime | None = None,
    accepted_names: dict[str, str] | None = None,
    submission_id: str | None = None,
    seen: _Seen | None = None,
    origin: dict | None = None,
    content_sha256: str | None = None,
) -> Inspection:
    """Check one file against the contract without touching the warehouse or moving it."""
    stat = path.stat()
    received_at = received_at or datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    file_name = display_name(path)
    if not _is_unicode(path.name):
        return Inspection(None, Validated([], [error("name_encoding", name=file_name)], None), {})
    content_sha256 = content_sha256 or sha256_file(path)
    submission_id = submission_id or submission_id_of(path.name, content_sha256)
    seen = seen or _Seen({}, dict(accepted_names or {}))
    name, problems = _check_name(
        file_name, received_at, reference, seen, submission_id, content_sha256, origin
    )
    if stat.st_size > MAX_FILE_BYTES:
        limit_mb = MAX_FILE_BYTES // (1024 * 1024)
        problems.append(
            error(
                "unreadable",
                detail_en=f"the file is larger than {limit_mb} MB",
                detail_vi=f"tệp lớn hơn {limit_mb} MB",
            )
        )
    if problems:
        return Inspection(name, Validated([], problems, None), {})
    assert name is not None  # a name that does not parse is a problem
    validated, details = _validate(path.read_bytes(), name, reference)
    return Inspection(name, validated, details)


def report_of(file_name: str, validated: Validated) -> str:
    return render_report(
        file_name, validated.problems, sheet=validated.sheet, header_row=validated.header_row
    )


def _origin_of(inbox: Path, file_name: str) -> tuple[Path | None, dict | None]:
    """The pull's note of where a file came from, if it was pulled."""
    note = inbox / ORIGIN_FOLDER / f"{file_name}.json"
    try:
        return note, json.loads(note.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None


def _unreadable_id(path: Path, stat: os.stat_result) -> str:
    """A content digest for a file whose bytes cannot be read: its name, size and time."""
    key = f"unreadable\0{os.fsencode(path.name)!r}\0{stat.st_size}\0{stat.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()


def _ingest_file(
    home: Home, path: Path, reference: Reference, seen: _Seen, inbox: Path
) -> tuple[str, _Pending | None]:
    """What happens to one file: its outcome, and what to record unless it is already known."""
    stat = path.stat()
    received_at = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    file_name = display_name(path)
    origin_path, origin = _origin_of(inbox, file_name)
    try:
        content_sha256 = sha256_file(path)
    except OSError as exc:
        content_sha256 = _unreadable_id(path, stat)
        submission_id = submission_id_of(file_name, content_sha256)
        if submission_id in seen.known:
            return _finish_known(home, path, file_name, submission_id, seen, reference)
        manifest = _manifest(
            home, file_name, None, stat, received_at, content_sha256, submission_id
        )
        # the server's own error (a permission, a disk) is the engineers', not the sender's
        problem = error("not_readable", reference=submission_id[:12])
        pending = _refused(home, path, manifest, [problem], None, origin_path)
        seen.known[submission_id] = (pending.manifest["stored_path"], "rejected")
        log.warning(
            "%s: cannot be read (%s: %s, reference %s); quarantined",
            file_name,
            type(exc).__name__,
            exc,
            submission_id[:12],
        )
        return "rejected", pending
    submission_id = submission_id_of(file_name, content_sha256)

    if submission_id in seen.known:
        return _finish_known(home, path, file_name, submission_id, seen, reference)

    try:
        name, validated, details = inspect_file(
            path,
            reference,
            received_at=received_at,
            submission_id=submission_id,
            seen=seen,
            origin=origin,
            content_sha256=content_sha256,
        )
    except Exception:
        # what failed is in the log, under the reference the sender's report gives; no internal
        # text reaches the sender
        log.exception(
            "%s: the checks failed unexpectedly (reference %s); quarantined",
            file_name,
            submission_id[:12],
        )
        name, details = parse_name(file_name), {}
        validated = Validated([], [error("internal_error", reference=submission_id[:12])], None)
    if name is not None and _is_same_version(seen, name, submission_id, content_sha256):
        duplicate = _free_destination(home.archive / "duplicates", file_name, submission_id)
        _move(path, duplicate)
        log.info(
            "%s: same bytes as an accepted file of the same version, kept in %s",
            file_name,
            duplicate,
        )
        return "duplicates", None
    manifest = _manifest(
        home, file_name, name, stat, received_at, content_sha256, submission_id, details
    )
    if not validated.is_accepted:
        pending = _refused(home, path, manifest, validated.problems, validated, origin_path)
        seen.known[submission_id] = (pending.manifest["stored_path"], "rejected")
        log.warning(
            "%s: rejected with %d errors, see %s",
            file_name,
            pending.manifest["error_count"],
            pending.manifest["error_report_path"],
        )
        return "rejected", pending
    destination = _free_destination(home.archive, file_name, submission_id)
    manifest.update(
        {
            "status": "accepted",
            "error_count": 0,
            "warning_count": len(validated.problems),
            "row_count": len(validated.records),
            "header_row": validated.header_row,
            "stored_path": str(destination.relative_to(home.root)),
            "error_report_path": None,
        }
    )
    pending = _Pending(path, destination, manifest, validated, origin=origin_path)
    seen.known[submission_id] = (manifest["stored_path"], "accepted")
    seen.accept(
        submission_id,
        file_name,
        name.kind,
        name.source_code,
        name.month,
        name.revision,
        content_sha256,
    )
    log.info("%s: accepted, %d rows", file_name, len(validated.records))
    return "accepted", pending


def _is_same_version(
    seen: _Seen, name: SubmissionName, submission_id: str, content_sha256: str
) -> bool:
    """The same bytes as the accepted file of this source-month and revision, under another
    name (`_r1` beside the original, `.CSV` beside `.csv`): one submission, not two."""
    same = seen.accepted_versions.get((name.kind, name.source_code, name.month, name.revision))
    return same is not None and same[0] != submission_id and same[2] == content_sha256


def _finish_known(
    home: Home, path: Path, file_name: str, submission_id: str, seen: _Seen, reference: Reference
) -> tuple[str, None]:
    """A file the warehouse already holds: a second delivery, or a move an earlier run did not
    finish."""
    stored_path, status = seen.known[submission_id]
    destination = home.root / stored_path
    if destination.exists():
        duplicate = _free_destination(home.archive / "duplicates", file_name, submission_id)
        _move(path, duplicate)
        log.info("%s: same bytes as %s, kept in %s", file_name, stored_path, duplicate)
        return "duplicates", None
    if status == "rejected":
        # killed between the commit and the error report: write it again from the file
        report = _report_path(destination, submission_id)
        if not report.exists():
            try:
                validated = inspect_file(path, reference, submission_id=submission_id).validated
            except Exception:
                log.exception(
                    "%s: the checks failed unexpectedly (reference %s)",
                    file_name,
                    submission_id[:12],
                )
                validated = Validated(
                    [], [error("internal_error", reference=submission_id[:12])], None
                )
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(report_of(file_name, validated), encoding="utf-8")
    _move(path, destination)
    log.info("%s: finished the move of an earlier run to %s", file_name, stored_path)
    return "recovered", None


def _manifest(
    home: Home,
    file_name: str,
    name: SubmissionName | None,
    stat: os.stat_result,
    received_at: datetime,
    content_sha256: str,
    submission_id: str,
    details: FileDetails | None = None,
) -> _Manifest:
    details = details or {}
    return {
        "submission_id": submission_id,
        "content_sha256": content_sha256,
        "file_name": file_name,
        "file_kind": name.kind if name else None,
        "source_code": name.source_code if name else None,
        "report_month": name.month if name else None,
        "revision": name.revision if name else None,
        "file_format": name.extension if name else None,
        "file_size_bytes": stat.st_size,
        "received_at": received_at,
        "ingested_at": datetime.now(UTC),
        "status": "rejected",
        "error_count": 0,
        "warning_count": 0,
        "row_count": 0,
        "text_encoding": details.get("text_encoding"),
        "sheet_name": details.get("sheet_name"),
        "header_row": None,
        "stored_path": "",
        "error_report_path": None,
    }


def _refused(
    home: Home,
    path: Path,
    manifest: _Manifest,
    problems: list[Problem],
    validated: Validated | None,
    origin: Path | None,
) -> _Pending:
    """A file for quarantine: untouched, with its bilingual error report beside it."""
    file_name = str(manifest["file_name"])
    validated = Validated(
        [],
        problems,
        validated.header_row if validated else None,
        validated.sheet if validated else None,
    )
    destination = _free_destination(home.quarantine, file_name, str(manifest["submission_id"]))
    report_path = _report_path(destination, str(manifest["submission_id"]))
    manifest = {
        **manifest,
        "status": "rejected",
        "error_count": sum(p.blocking for p in problems),
        "warning_count": sum(not p.blocking for p in problems),
        "row_count": 0,
        "header_row": validated.header_row,
        "stored_path": str(destination.relative_to(home.root)),
        "error_report_path": str(report_path.relative_to(home.root)),
    }
    return _Pending(
        path, destination, manifest, validated, report_path, report_of(file_name, validated), origin
    )
