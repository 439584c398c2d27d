"""Ingest: take each new file from the inbox, check it, load it or quarantine it, move it away.

Files are checked one by one in Python (the contract's rules: encodings, aliases, Vietnamese
numbers and dates, codes and names against the registry) and their typed rows are loaded in
batches: one transaction writes the manifest rows, data rows and problems of many files at once,
through DuckDB's bulk insert from a data frame. A rejected file gets its bilingual error report
and is moved untouched to quarantine. The commit comes before any move, so a run killed anywhere
leaves each file either unrecorded (the next run takes it again) or recorded and still in the
inbox (the next run only finishes the move). Running ingest again over the same files changes
nothing."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from ingest.files import sha256_file, submission_id_of
from ingest.naming import DIRECTIVES, FORMATS, SubmissionName, parse_name
from ingest.problems import Problem, error, render_report
from ingest.reader import UnreadableFile, read_table
from ingest.reference import Reference
from ingest.validate import Validated, validate_table
from ingest.warehouse import connect
from outreach.home import Home

log = logging.getLogger(__name__)

# the months of file names are months of the province's calendar
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

MAX_FILE_BYTES = 20 * 1024 * 1024
ERROR_REPORT_SUFFIX = ".errors.txt"

_ROW_COLUMNS = ["submission_id", "row_number", "activity_date", "topic_code", "output_type_code",
                "quantity", "commune_code", "people_reached", "title", "url", "note"]
_DIRECTIVE_COLUMNS = ["submission_id", "row_number", "document_number", "issued_date", "summary",
                      "topic_code"]


@dataclass
class IngestSummary:
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)   # not committed: left in the inbox

    def as_dict(self) -> dict[str, list[str]]:
        return {"accepted": self.accepted, "rejected": self.rejected,
                "duplicates": self.duplicates, "recovered": self.recovered,
                "failed": self.failed}


def inbox_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox, oldest first; hidden and partial files are not ready yet."""
    if not inbox.is_dir():
        return []
    files = [path for path in inbox.iterdir()
             if path.is_file() and not path.is_symlink() and not path.name.startswith(".")
             and not path.name.endswith((".part", ".tmp", ERROR_REPORT_SUFFIX))]
    return sorted(files, key=lambda path: (path.stat().st_mtime, path.name))


def _free_destination(folder: Path, file_name: str, submission_id: str) -> Path:
    """`folder/file_name`, or a subfolder named by content when that name is taken."""
    candidate = folder / file_name
    if candidate.exists():
        candidate = folder / submission_id[:12] / file_name
    return candidate


def _check_name(file_name: str, received_at: datetime, reference: Reference,
                accepted_names: dict[str, str], submission_id: str
                ) -> tuple[SubmissionName | None, list[Problem]]:
    name = parse_name(file_name)
    if name is None:
        extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        if extension and extension not in FORMATS:
            return None, [error("unsupported_format", name=file_name)]
        return None, [error("bad_name", name=file_name)]
    if name.extension == "xls":
        return name, [error("legacy_xls", name=file_name)]
    if name.extension not in FORMATS:
        return name, [error("unsupported_format", name=file_name)]
    problems: list[Problem] = []
    source = reference.sources.get(name.source_code)
    if source is None:
        problems.append(error("unknown_source", source=name.source_code))
    elif not source.is_active(name.month):
        problems.append(error("source_inactive", source=name.source_code, month=name.month_label))
    received_local = received_at.astimezone(LOCAL_TZ)
    if name.month > received_local.date():
        problems.append(error("future_month", month=name.month_label,
                              received=f"{received_local:%d/%m/%Y}"))
    previous = accepted_names.get(file_name)
    if previous is not None and previous != submission_id:
        problems.append(error("name_reused", name=file_name,
                              suggestion=name.with_revision(max(2, name.revision + 1))))
    return name, problems


def _validate(data: bytes, name: SubmissionName, reference: Reference
              ) -> tuple[Validated, dict[str, object]]:
    try:
        table = read_table(data, name.extension)
    except UnreadableFile as exc:
        problem = error("unreadable", detail_en=exc.detail_en, detail_vi=exc.detail_vi)
        return Validated([], [problem], None), {}
    validated = validate_table(table, name, reference.sources[name.source_code], reference)
    return validated, {"text_encoding": table.encoding, "sheet_name": table.sheet}


def _insert(con, table: str, columns: list[str], records: list[dict], casts: dict[str, str]):
    if not records:
        return
    frame = pd.DataFrame.from_records(records, columns=columns)  # noqa: F841 (read by DuckDB)
    select = ", ".join(f"{c}::{casts[c]}" if c in casts else c for c in columns)
    con.execute(f"insert into {table} ({', '.join(columns)}) select {select} from frame")


_MANIFEST_CASTS = {"report_month": "date", "revision": "integer", "file_size_bytes": "bigint",
                   "received_at": "timestamptz", "ingested_at": "timestamptz",
                   "error_count": "integer", "warning_count": "integer", "row_count": "integer",
                   "header_row": "integer"}


@dataclass
class _Pending:
    """A file checked and recorded in memory, to be committed with its batch, then moved."""

    path: Path
    destination: Path
    manifest: dict[str, object]
    validated: Validated
    report_path: Path | None = None   # a rejected file's error report, written after commit
    report_text: str | None = None


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

    def flush(self, con) -> list[str]:
        """Commit the batch, then write its error reports and move its files; the names of
        files that could not be committed (left in the inbox, logged) are returned."""
        if not self.items:
            return []
        failed: list[str] = []
        try:
            _record(con, self.items)
            committed = self.items
        except duckdb.Error:
            # one file the warehouse refuses must not hold back the others: one by one
            log.exception("a batch of %d files could not be committed; committing them one by "
                          "one", len(self.items))
            committed = []
            for item in self.items:
                try:
                    _record(con, [item])
                    committed.append(item)
                except duckdb.Error:
                    log.exception("%s could not be committed; it stays in the inbox",
                                  item.path.name)
                    failed.append(item.path.name)
        for item in committed:
            _write_error_report(item)
            _move(item.path, item.destination)
        self.items, self.rows = [], 0
        return failed


def _record(con, items: list[_Pending]) -> None:
    """Manifest rows, data rows and problems of every file of a batch, in one transaction."""
    manifests, rows, directives, problems = [], [], [], []
    for item in items:
        submission_id = item.manifest["submission_id"]
        manifests.append(item.manifest)
        target = directives if item.manifest["file_kind"] == DIRECTIVES else rows
        target.extend({"submission_id": submission_id, **record}
                      for record in item.validated.records)
        problems.extend(
            {"submission_id": submission_id, "problem_number": number,
             "severity": "error" if problem.blocking else "warning",
             "problem_code": problem.code, "row_number": problem.row,
             "column_name": problem.column, "message_vi": problem.message_vi,
             "message_en": problem.message_en}
            for number, problem in enumerate(item.validated.problems, start=1))
    con.execute("begin transaction")
    try:
        _insert(con, "raw.submission_manifest", list(items[0].manifest), manifests,
                _MANIFEST_CASTS)
        _insert(con, "raw.directive_documents", _DIRECTIVE_COLUMNS, directives,
                {"issued_date": "date"})
        _insert(con, "raw.submission_rows", _ROW_COLUMNS, rows,
                {"activity_date": "date", "quantity": "bigint", "people_reached": "bigint"})
        _insert(con, "raw.submission_problems",
                ["submission_id", "problem_number", "severity", "problem_code", "row_number",
                 "column_name", "message_vi", "message_en"],
                problems, {"row_number": "integer"})
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


def ingest_inbox(home: Home, inbox: Path | None = None, reference: Reference | None = None,
                 *, batch_files: int = 500) -> IngestSummary:
    """Ingest every new file of the inbox (default: the home's inbox) into the warehouse.

    Files are committed `batch_files` at a time (fewer when their rows pass 100,000).
    """
    inbox = inbox or home.inbox
    reference = reference or Reference.load(home.seeds_dir())
    summary = IngestSummary()
    home.ensure()
    batch = _Batch(max_files=batch_files)
    with connect(home.warehouse) as con:
        known = {row[0]: (row[1], row[2]) for row in con.execute(
            "select submission_id, stored_path, status from raw.submission_manifest").fetchall()}
        accepted_names = dict(con.execute(
            "select file_name, submission_id from raw.submission_manifest "
            "where status = 'accepted'").fetchall())
        for path in inbox_files(inbox):
            outcome, pending = _ingest_file(home, path, reference, known, accepted_names)
            getattr(summary, outcome).append(path.name)
            if pending is not None and batch.add(pending):
                _drop_failed(summary, batch.flush(con))
        _drop_failed(summary, batch.flush(con))
    log.info("ingest: %d accepted, %d rejected, %d duplicates, %d recovered",
             len(summary.accepted), len(summary.rejected), len(summary.duplicates),
             len(summary.recovered))
    return summary


def _drop_failed(summary: IngestSummary, failed: list[str]) -> None:
    for name in failed:
        for outcome in (summary.accepted, summary.rejected):
            if name in outcome:
                outcome.remove(name)
        summary.failed.append(name)


@dataclass
class Inspection:
    """What the contract says of one file: its parsed name (if any), records and problems."""

    name: SubmissionName | None
    validated: Validated
    details: dict[str, object]

    def __iter__(self):
        return iter((self.name, self.validated, self.details))


def inspect_file(path: Path, reference: Reference, *, received_at: datetime | None = None,
                 accepted_names: dict[str, str] | None = None,
                 submission_id: str | None = None) -> Inspection:
    """Check one file against the contract without touching the warehouse or moving it."""
    stat = path.stat()
    received_at = received_at or datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    submission_id = submission_id or submission_id_of(path.name, sha256_file(path))
    name, problems = _check_name(path.name, received_at, reference, accepted_names or {},
                                 submission_id)
    if stat.st_size > MAX_FILE_BYTES:
        limit_mb = MAX_FILE_BYTES // (1024 * 1024)
        problems.append(error("unreadable", detail_en=f"the file is larger than {limit_mb} MB",
                              detail_vi=f"tệp lớn hơn {limit_mb} MB"))
    if problems:
        return Inspection(name, Validated([], problems, None), {})
    validated, details = _validate(path.read_bytes(), name, reference)
    return Inspection(name, validated, details)


def _ingest_file(home: Home, path: Path, reference: Reference,
                 known: dict[str, tuple[str, str]], accepted_names: dict[str, str]
                 ) -> tuple[str, _Pending | None]:
    """What happens to one file: its outcome, and what to record unless it is already known."""
    stat = path.stat()
    received_at = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    content_sha256 = sha256_file(path)
    submission_id = submission_id_of(path.name, content_sha256)

    if submission_id in known:
        stored_path, status = known[submission_id]
        destination = home.root / stored_path
        if destination.exists():
            duplicate = _free_destination(home.archive / "duplicates", path.name, submission_id)
            _move(path, duplicate)
            log.info("%s: same bytes as %s, kept in %s", path.name, stored_path, duplicate)
            return "duplicates", None
        if status == "rejected":
            # killed between the commit and the error report: write it again from the file
            report = destination.with_name(destination.name + ERROR_REPORT_SUFFIX)
            if not report.exists():
                name, validated, _ = inspect_file(path, reference, submission_id=submission_id)
                report.parent.mkdir(parents=True, exist_ok=True)
                report.write_text(render_report(path.name, validated.problems), encoding="utf-8")
        _move(path, destination)
        log.info("%s: finished the move of an earlier run to %s", path.name, stored_path)
        return "recovered", None

    name, validated, details = inspect_file(path, reference, received_at=received_at,
                                            accepted_names=accepted_names,
                                            submission_id=submission_id)
    accepted = validated.is_accepted
    folder = home.archive if accepted else home.quarantine
    destination = _free_destination(folder, path.name, submission_id)
    report_path = report_text = None
    if not accepted:
        report_path = destination.with_name(destination.name + ERROR_REPORT_SUFFIX)
        report_text = render_report(path.name, validated.problems)
    manifest = {
        "submission_id": submission_id,
        "content_sha256": content_sha256,
        "file_name": path.name,
        "file_kind": name.kind if name else None,
        "source_code": name.source_code if name else None,
        "report_month": name.month if name else None,
        "revision": name.revision if name else None,
        "file_format": name.extension if name else None,
        "file_size_bytes": stat.st_size,
        "received_at": received_at,
        "ingested_at": datetime.now(UTC),
        "status": "accepted" if accepted else "rejected",
        "error_count": sum(p.blocking for p in validated.problems),
        "warning_count": sum(not p.blocking for p in validated.problems),
        "row_count": len(validated.records),
        "text_encoding": details.get("text_encoding"),
        "sheet_name": details.get("sheet_name"),
        "header_row": validated.header_row,
        "stored_path": str(destination.relative_to(home.root)),
        "error_report_path": str(report_path.relative_to(home.root)) if report_path else None,
    }
    pending = _Pending(path, destination, manifest, validated, report_path, report_text)
    known[submission_id] = (manifest["stored_path"], manifest["status"])
    if accepted:
        accepted_names[path.name] = submission_id
        log.info("%s: accepted, %d rows", path.name, len(validated.records))
        return "accepted", pending
    log.warning("%s: rejected with %d errors, see %s", path.name, manifest["error_count"],
                manifest["error_report_path"])
    return "rejected", pending
