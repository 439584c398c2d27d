"""Feedback to senders: for each source and month, accepted (with rows), rejected (with the
errors), late or missing, in plain Vietnamese, as a table and a CSV the department can send."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from outreach.core.home import Home, waiting_files
from outreach.core.numbers import format_count, format_date_short
from outreach.core.periods import Period
from outreach.core.scope import Scope
from outreach.core.settings import crosscheck_enabled, settings
from outreach.core.warehouse import fetch_dicts, read_while_running
from report.crosscheck import month_cells

COLUMNS = [
    "Mã đơn vị",
    "Đơn vị",
    "Tháng",
    "Tình trạng",
    "Số dòng",
    "Ngày nhận",
    "Tệp",
    "Lỗi cần sửa",
    "Liên hệ",
]
CROSSCHECK_COLUMN = "Đối chiếu"

_QUERY = """
select source_code, source_name, source_kind, source_group_label_vi, report_month,
       submission_status, is_empty_report, row_count, days_late, due_date, first_received_date,
       file_name, rejected_file_name, error_messages_vi, held_file_name, held_by_period_code,
       contact_name, contact_email
from marts.rpt_submission_status
where report_month between ? and ? and {scope}
order by report_month, source_kind_sort_order, source_code
"""


# what each state is called in the summary, in the order a department reads them
STATE_LABELS = {
    "on_time": "Đúng hạn",
    "late": "Muộn",
    "rejected": "Bị trả lại",
    "missing": "Chưa gửi",
    "not_yet_due": "Chưa đến hạn",
}
PROBLEM_STATES = ("late", "rejected", "missing")


@dataclass
class StatusRow:
    source_code: str
    source_name: str
    month: date
    status: str
    row_count: str
    received: str
    file_name: str
    errors: str
    contact: str
    state: str = "on_time"
    kind_label: str = ""
    # the cross-check against the outlet's site (None: the deployment does not cross-check)
    crosscheck: str | None = None

    @property
    def is_problem(self) -> bool:
        return self.state in PROBLEM_STATES

    def cells(self) -> list[str]:
        return [
            self.source_code,
            self.source_name,
            f"{self.month:%m/%Y}",
            self.status,
            self.row_count,
            self.received,
            self.file_name,
            self.errors,
            self.contact,
            *([] if self.crosscheck is None else [self.crosscheck]),
        ]


def _status_text(row: dict) -> str:
    status = row["submission_status"]
    if status == "on_time":
        return "Đã nhận: không phát sinh" if row["is_empty_report"] else "Đã nhận, đúng hạn"
    if status == "late":
        return f"Đã nhận, muộn {row['days_late']} ngày"
    if status == "rejected":
        return "Bị trả lại, cần gửi bản sửa"
    if status == "not_yet_due":
        return f"Chưa đến hạn (hạn {format_date_short(row['due_date'])})"
    return f"Chưa gửi (hạn {format_date_short(row['due_date'])})"


def _held_text(row: dict) -> str:
    """A correction received after the period was approved: listed, not counted."""
    if not row.get("held_file_name"):
        return ""
    return (
        f"; bản sửa {row['held_file_name']} nhận sau khi phê duyệt kỳ "
        f"{row['held_by_period_code']} (chưa tính)"
    )


def submission_status(
    home: Home, period: Period, month: date | None = None, scope: Scope | None = None
) -> list[StatusRow]:
    """One row per source and month of the period (or of one month) that was due or received,
    of one province's sources (default: all of the warehouse's)."""
    start, end = (month, month) if month else (period.start, period.end)
    of_scope, scope_params = (
        scope.sources_where("source_code", period.code) if scope else ("true", [])
    )
    query, parameters = _QUERY.format(scope=of_scope), [start, end, *scope_params]
    rows = _read_published_if_busy(home, query, parameters)
    checks = (
        read_while_running(home, lambda con: month_cells(con, start, end))
        if crosscheck_enabled()
        else None
    )
    return [
        StatusRow(
            source_code=row["source_code"],
            source_name=row["source_name"],
            month=row["report_month"],
            status=_status_text(row) + _held_text(row),
            row_count="" if row["row_count"] is None else format_count(row["row_count"]),
            received=""
            if row["first_received_date"] is None
            else format_date_short(row["first_received_date"]),
            file_name=row["file_name"] or row["rejected_file_name"] or "",
            errors=row["error_messages_vi"] if row["submission_status"] == "rejected" else "",
            contact=f"{row['contact_name']} <{row['contact_email']}>",
            state=row["submission_status"],
            kind_label=row["source_group_label_vi"] or row["source_kind"],
            crosscheck=None
            if checks is None
            else checks.get((row["source_code"], row["report_month"]), ""),
        )
        for row in rows
    ]


# refusals only the department can resolve: a name no source can be found in, a file from another
# source's delivery location, a file the server cannot read, an unforeseen failure
_ATTENTION_QUERY = """
select file_name, received_at, stored_path, problem_code, message_vi
from marts.rpt_files_for_department
where cast(received_at as date) between ? and ?
order by received_at, file_name
"""


@dataclass
class AttentionRow:
    file_name: str
    received: str
    reason: str
    where: str


def needs_attention(home: Home, period: Period, scope: Scope | None = None) -> list[AttentionRow]:
    """Files no source can be asked to fix, received from the period's start until its report
    is due, and the files the last ingest had to leave in the inbox: for the department.

    Such files belong to no province, so only the home province's and the national view list
    them."""

    if scope is not None and not (scope.is_home_province or scope.is_national):
        return []
    until = settings().closing_date(period)
    rows = [
        AttentionRow(entry["file_name"], "", f"còn trong hộp thư đến: {entry['reason']}", "inbox/")
        for entry in waiting_files(home)
    ]
    found = _read_published_if_busy(home, _ATTENTION_QUERY, [period.start, until])
    rows += [
        AttentionRow(
            row["file_name"],
            format_date_short(row["received_at"].date()),
            row["message_vi"],
            row["stored_path"],
        )
        for row in found
    ]
    return rows


def _read_published_if_busy(home: Home, query: str, parameters: list) -> list[dict]:
    return read_while_running(home, lambda con: fetch_dicts(con, query, parameters))


def format_attention(rows: list[AttentionRow]) -> str:
    return "\n".join(
        f"- {row.file_name} ({row.received or 'chưa xử lý'}, {row.where}): {row.reason}"
        for row in rows
    )


def excel_csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """A CSV in UTF-8 with BOM, so that Excel opens the Vietnamese text correctly."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def write_excel_csv(header: list[str], rows: list[list[str]], path: Path) -> Path:
    """A CSV Excel opens as it is (`excel_csv_bytes`), at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(excel_csv_bytes(header, rows))
    return path


def write_status_csv(rows: list[StatusRow], path: Path) -> Path:
    """The status as a CSV: one row per source-month, with the "Đối chiếu" column when the
    deployment cross-checks claimed items against the outlets' sites."""
    crosschecked = any(row.crosscheck is not None for row in rows)
    header = [*COLUMNS, CROSSCHECK_COLUMN] if crosschecked else COLUMNS
    return write_excel_csv(header, [row.cells() for row in rows], path)


def format_columns(header: list[str], body: list[list[str]]) -> str:
    """A plain-text table: left-aligned columns, a rule under the header."""
    return "\n".join(_columns(header, body))


def _columns(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def format_summary(rows: list[StatusRow]) -> str:
    """Source-months by kind of source: due (or received), received, on time, late, missing,
    refused, not yet due; a total line."""
    header = ["Loại đơn vị", "Phải gửi", "Đã nhận", *STATE_LABELS.values()]
    kinds: dict[str, list[StatusRow]] = {}
    for row in rows:
        kinds.setdefault(row.kind_label, []).append(row)

    def line(label: str, of: list[StatusRow]) -> list[str]:
        counts = {state: sum(1 for r in of if r.state == state) for state in STATE_LABELS}
        due = len(of) - counts["not_yet_due"]
        return [
            label,
            format_count(due),
            format_count(counts["on_time"] + counts["late"]),
            *(format_count(counts[state]) for state in STATE_LABELS),
        ]

    body = [line(label, of) for label, of in kinds.items()]
    if len(kinds) > 1:
        body.append(line("Cộng", rows))
    return format_columns(header, body)


def format_table(rows: list[StatusRow], *, show_all: bool = False) -> str:
    """The rows for the terminal: by default only those that need action (late, refused,
    missing), each refused one with the reasons it was refused; every row with `show_all`."""
    shown = rows if show_all else [row for row in rows if row.is_problem]
    if not shown:
        return "Không có đơn vị nào gửi muộn, bị trả lại hay chưa gửi."
    header = ["Mã đơn vị", "Đơn vị", "Tháng", "Tình trạng", "Số dòng", "Ngày nhận", "Tệp"]
    crosschecked = any(row.crosscheck is not None for row in shown)
    if crosschecked:
        header.append(CROSSCHECK_COLUMN)
    body = [
        [
            r.source_code,
            r.source_name,
            f"{r.month:%m/%Y}",
            r.status,
            r.row_count,
            r.received,
            r.file_name,
            *([r.crosscheck or ""] if crosschecked else []),
        ]
        for r in shown
    ]
    lines = _columns(header, body)
    out = lines[:2]
    for row, text in zip(shown, lines[2:], strict=True):
        out.append(text)
        if row.errors:
            out.extend(f"      - {reason}" for reason in row.errors.split(" | "))
    return "\n".join(out)
