"""What the department's pages show of the officer's province, period by period: the
completeness matrix (the period's months, the sources and areas valid in it), the checks' flags,
who to chase (with each message ready to copy or to e-mail), the reports of each period to
download (with the list of each figure's files), and the approval of a period's figures with
what it freezes."""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError

from ingest.approvals import approvals_file, write_approvals
from ingest.naming import parse_name
from outreach.core.home import Home
from outreach.core.periods import PERIOD_PATTERN, Period, latest_first, month_end, parse_period
from outreach.core.scope import Scope, UnknownProvince, resolve_scope
from outreach.core.settings import crosscheck_enabled, report_kinds
from outreach.core.warehouse import connect, fetch_dicts
from outreach.portal.store import (
    Account,
    Store,
    approve,
    current_approvals,
    private_file,
    private_folder,
    reopen,
)
from report.build import load_config, report_paths
from report.crosscheck import OutletCheck, outlet_month_checks, over_months
from report.reminders import Reminder, reminders
from report.status import excel_csv_bytes

# the files of a period's folder an officer may download, and what each is
DOWNLOADS = {
    re.compile(rf"bao-cao-(?P<period>{PERIOD_PATTERN})\.docx"): "Báo cáo (Word)",
    re.compile(rf"bao-cao-(?P<period>{PERIOD_PATTERN})\.pdf"): "Báo cáo (PDF)",
    re.compile(rf"bao-cao-(?P<period>{PERIOD_PATTERN})\.html"): "Báo cáo (xem trên trình duyệt)",
    re.compile(rf"nhac-nho-(?P<period>{PERIOD_PATTERN})\.csv"): "Danh sách nhắc (Excel, CSV)",
}
# the browser view: shown in the browser, never downloaded (the others are attachments)
INLINE = re.compile(rf"bao-cao-(?P<period>{PERIOD_PATTERN})\.html")
# each figure of the report with the files it came from, made from figures.json when asked for
FIGURE_SOURCES = re.compile(rf"nguon-so-lieu-(?P<period>{PERIOD_PATTERN})\.csv")
FIGURE_SOURCES_LABEL = "Nguồn của từng số liệu (Excel, CSV)"
PARTS_VI = {"body": "Nội dung báo cáo", "annex": "Phụ lục", "draft": "Dự thảo nội dung"}
FIGURE_SOURCES_COLUMNS = [
    "Mã số liệu",
    "Số liệu",
    "Giá trị",
    "Phần",
    "Mã đơn vị",
    "Đơn vị",
    "Tháng",
    "Tệp",
    "Lần gửi",
]
# how the matrix's area filter names a level of local government
AREA_LEVELS_VI = {"district": "Huyện, thành phố", "commune": "Xã, phường"}


def scope_of(home: Home, account: Account) -> Scope | None:
    """The province an officer sees (an administrator: the home's own); None if the registry
    has no source there."""
    try:
        return resolve_scope(home, None if account.role == "admin" else account.province_code)
    except UnknownProvince:
        return None


def checked_periods(home: Home) -> list[str]:
    """The periods the published copy has checks for, the latest first (of those ending in the
    same month, the longest first: the year, the half-year, the quarter)."""
    if not home.published_warehouse.is_file():
        return []
    with connect(home.published_warehouse, read_only=True) as con:
        tables = {
            name
            for (name,) in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables"
            ).fetchall()
        }
        if "dq.check_results" not in tables:
            return []
        rows = con.execute("select distinct period_code from dq.check_results").fetchall()
    periods = []
    for (code,) in rows:
        try:
            periods.append(parse_period(code))
        except ValueError:
            continue  # a period of an earlier release's calendar
    return [period.code for period in latest_first(periods)]


def being_reported(candidates: list[Period]) -> Period | None:
    """The period a department page opens on: the latest of those the nightly run reports
    (`latest_first`: of those ending in the same month, the longest)."""
    ordered = latest_first(candidates)
    return ordered[0] if ordered else None


def _published(home: Home, query: str, parameters: list) -> list[dict] | None:
    """Rows of the published copy; None when there is none yet."""
    if not home.published_warehouse.is_file():
        return None
    with connect(home.published_warehouse, read_only=True) as con:
        return fetch_dicts(con, query, parameters)


def matrix_periods(home: Home, scope: Scope, also: Sequence[Period] = ()) -> list[Period]:
    """The periods the matrix offers for the province, the latest first: those of the kinds the
    nightly run reports (OUTREACH_REPORT_PERIOD_KINDS) that the published copy knows
    (`marts.dim_report_areas`, from the first month of its data to the night it was built as
    of), and `also` (the periods reported, whatever their kind)."""
    rows = _published(
        home,
        "select distinct period_code from marts.dim_report_areas where report_area_code = ?",
        [scope.key],
    )
    kinds = report_kinds()
    found = {period.code: period for period in also}
    for row in rows or []:
        try:
            period = parse_period(row["period_code"])
        except ValueError:
            continue  # a period of an earlier release's calendar
        if period.kind in kinds:
            found.setdefault(period.code, period)
    return latest_first(list(found.values()))


@dataclass
class Matrix:
    """The completeness matrix of a period: its months, the groups and areas of the sources
    valid in it (what the filters offer), and the sources the filters keep, each with its
    cells (`marts.rpt_submission_status`) by month."""

    period: Period
    months: list[date]
    groups: list[dict] = field(default_factory=list)  # kind, label
    areas: list[dict] = field(default_factory=list)  # level, label, units: [(code, name)]
    sources: list[dict] = field(default_factory=list)
    kind: str = ""  # the group chosen ("" : every group)
    area: str = ""  # the area chosen
    has_warehouse: bool = True
    # the "đối chiếu" column, when the deployment cross-checks claimed items against the
    # outlets' sites: each outlet with a feed's check over the period (report.crosscheck)
    crosscheck: dict[str, OutletCheck] | None = None
    crosscheck_months: dict[tuple[str, date], OutletCheck] = field(default_factory=dict)


def _part_of(rows: list[dict], period: Period) -> str:
    """ " (từ 01/07/2025)", " (đến 30/06/2025)": the part of the period the sources cover, when
    they do not cover all of it (a year across the 2025 reform has both levels)."""
    since = min(row["valid_from"] for row in rows)
    until = max((row["valid_to"] for row in rows if row["valid_to"]), default=None)
    if any(row["valid_to"] is None for row in rows):
        until = None
    parts = []
    if since > period.start:
        parts.append(f"từ {since:%d/%m/%Y}")
    if until is not None and until < period.end:
        parts.append(f"đến {until:%d/%m/%Y}")
    return f" ({', '.join(parts)})" if parts else ""


def _valid_in(row: dict, month: date) -> bool:
    """Whether a source of the registry is valid in some day of the month."""
    return row["valid_from"] <= month_end(month) and (
        row["valid_to"] is None or row["valid_to"] >= month
    )


def completeness(
    home: Home, scope: Scope, period: Period, kind: str = "", area: str = ""
) -> Matrix:
    """The matrix of the province's sources that report monthly and are valid in the period
    (`marts.dim_sources` valid_from / valid_to: the district offices until 30 June 2025, the
    commune offices after), by its months; `kind` keeps one group, `area` one district or
    commune (each only if the period has it)."""
    matrix = Matrix(period, list(period.months))
    of_scope, parameters = scope.sources_where("sources.source_code", period.code)
    sources = _published(
        home,
        f"""
        select sources.source_code, sources.source_name, sources.source_kind,
            coalesce(sources.source_group_label_vi, sources.source_kind) as group_label,
            sources.district_code, sources.district_name, sources.commune_code,
            sources.commune_name, sources.valid_from, sources.valid_to
        from marts.dim_sources as sources
        where sources.submits_monthly and {of_scope}
            and sources.valid_from <= ?
            and (sources.valid_to is null or sources.valid_to >= ?)
        order by sources.source_kind_sort_order, sources.source_code""",
        [*parameters, period.end, period.start],
    )
    if sources is None:
        matrix.has_warehouse = False
        return matrix
    for row in sources:
        if row["source_kind"] not in [group["kind"] for group in matrix.groups]:
            matrix.groups.append({"kind": row["source_kind"], "label": row["group_label"]})
    levels: dict[str, dict[str, str]] = {}
    spans: dict[str, list[dict]] = {}
    for row in sources:
        if row["commune_code"]:
            levels.setdefault("commune", {})[row["commune_code"]] = row["commune_name"]
            spans.setdefault("commune", []).append(row)
        elif row["district_code"]:
            levels.setdefault("district", {})[row["district_code"]] = row["district_name"]
            spans.setdefault("district", []).append(row)
    matrix.areas = [
        {
            "level": level,
            "label": label + _part_of(spans[level], period),
            "units": sorted(levels[level].items()),
        }
        for level, label in AREA_LEVELS_VI.items()
        if level in levels
    ]
    matrix.kind = kind if any(group["kind"] == kind for group in matrix.groups) else ""
    matrix.area = area if any(area in levels[level] for level in levels) else ""
    kept = [
        row
        for row in sources
        if (not matrix.kind or row["source_kind"] == matrix.kind)
        and (not matrix.area or (row["commune_code"] or row["district_code"]) == matrix.area)
    ]
    cells = _published(
        home,
        """
        select source_code, report_month, submission_status, is_empty_report, days_late
        from marts.rpt_submission_status
        where report_month between ? and ?
            and source_code in (select unnest(?::varchar[]))
        order by source_code, report_month""",
        [period.first_month, period.last_month, [row["source_code"] for row in kept]],
    )
    by_source: dict[str, dict[date, dict]] = {}
    for cell in cells or []:
        by_source.setdefault(cell["source_code"], {})[cell["report_month"]] = cell
    matrix.sources = [
        {
            "code": row["source_code"],
            "name": row["source_name"],
            "group": row["group_label"],
            "cells": by_source.get(row["source_code"], {}),
            # the months the source was not yet or no longer in the registry
            "outside": [month for month in matrix.months if not _valid_in(row, month)],
        }
        for row in kept
    ]
    if crosscheck_enabled():
        codes = [row["source_code"] for row in kept]
        with connect(home.published_warehouse, read_only=True) as con:
            matrix.crosscheck_months = outlet_month_checks(
                con, codes, period.first_month, period.last_month
            )
        matrix.crosscheck = over_months(matrix.crosscheck_months)
    return matrix


def flags(home: Home, scope: Scope, period_code: str) -> list[dict]:
    """The checks' flags of a period for the province's sources, as the report's annex lists
    them (every check: missing, late, postings, rules, outliers, implausible counts)."""
    if not home.published_warehouse.is_file():
        return []
    of_scope, parameters = scope.sources_where("f.source_code", period_code)
    with connect(home.published_warehouse, read_only=True) as con:
        return fetch_dicts(
            con,
            f"""
            select f.check_name, coalesce(f.check_label_vi, f.check_name) as label,
                f.severity, f.source_code, s.source_name, f.report_month, f.detail_vi
            from dq.flags f
            left join marts.dim_sources s using (source_code)
            where f.period_code = ? and {of_scope}
            order by f.severity, label, f.report_month, f.source_code""",
            [period_code, *parameters],
        )


@dataclass
class Chase:
    reminder: Reminder
    mailto: str


def chase_list(home: Home, scope: Scope, period: Period) -> list[Chase]:
    sender = load_config(home, scope, for_signature=False)["issuing_body_name"]
    rows = reminders(home, period, sender=sender, scope=scope, warehouse=home.published_warehouse)
    subject = f"Nhắc gửi báo cáo {period.label_vi}"
    return [
        Chase(
            row,
            f"mailto:{quote(row.contact_email)}?subject={quote(subject)}&body={quote(row.message)}"
            if row.contact_email
            else "",
        )
        for row in rows
    ]


def report_files(home: Home, scope: Scope) -> list[dict]:
    """Each period's downloadable files with when each was written, newest period first; with
    the list of each figure's files where the period has a report (its figures.json)."""
    found = []
    reports = home.root / "reports"
    if not reports.is_dir():
        return []
    periods = []
    for folder in reports.iterdir():
        try:
            periods.append(parse_period(folder.name))
        except ValueError:
            continue
    for period in latest_first(periods):
        folder = scope.report_dir(home, period.code)
        files = [
            {"name": path.name, "label": label, "written_at": _written_at(path)}
            for path in sorted(folder.glob("*"))
            for pattern, label in DOWNLOADS.items()
            if (match := pattern.fullmatch(path.name)) and match["period"] == period.code
        ]
        figures = report_paths(home, period, scope)[1]
        if files and figures.is_file():
            files.append(
                {
                    "name": f"nguon-so-lieu-{period.code}.csv",
                    "label": FIGURE_SOURCES_LABEL,
                    "written_at": _written_at(figures),
                }
            )
        if files:
            found.append({"period": period, "files": files})
    return found


def _written_at(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def download_path(home: Home, scope: Scope, period_code: str, name: str) -> Path | None:
    """The file an officer asked for, if it is one of the downloads of their province's period
    (nothing else: no other name, no path)."""
    try:
        period = parse_period(period_code)
    except ValueError:
        return None
    for pattern in DOWNLOADS:
        match = pattern.fullmatch(name)
        if match and match["period"] == period.code:
            path = scope.report_dir(home, period.code) / name
            return path if path.is_file() else None
    return None


def figure_sources_csv(home: Home, scope: Scope, period_code: str, name: str) -> bytes | None:
    """Every figure of the province's report of the period with each file it came from, one
    line a file (a figure of the registry or the programme: one line without a file), as
    figures.json lists them; None if `name` is not this list's or the period has no report."""
    match = FIGURE_SOURCES.fullmatch(name)
    try:
        period = parse_period(period_code)
    except ValueError:
        return None
    if not match or match["period"] != period.code:
        return None
    path = report_paths(home, period, scope)[1]
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as handle:
        payload = json.load(handle)
    submissions = payload.get("submissions") or {}
    names = {
        row["source_code"]: row["source_name"]
        for row in _published(home, "select source_code, source_name from marts.dim_sources", [])
        or []
    }
    rows = []
    for figure in payload.get("figures") or []:
        head = [
            figure["id"],
            figure.get("label_vi") or "",
            figure.get("text") or "",
            PARTS_VI.get(figure.get("part") or "", figure.get("part") or ""),
        ]
        files = [submissions[key] for key in figure.get("sources") or [] if key in submissions]
        for file in files or [None]:
            if file is None:
                rows.append([*head, "", "", "", "", ""])
                continue
            month = file["report_month"]
            rows.append(
                [
                    *head,
                    file["source_code"],
                    names.get(file["source_code"], ""),
                    f"{month[5:]}/{month[:4]}",
                    file["file_name"],
                    str(file["revision"]),
                ]
            )
    return excel_csv_bytes(FIGURE_SOURCES_COLUMNS, rows)


@dataclass
class Freeze:
    """What approving a period freezes, or re-opening it lets in, as the confirmation page
    says it: the figures of the last publish and the files they count."""

    period: Period
    published_at: datetime | None
    expected: int = 0  # monthly reports due in the period
    received: int = 0
    on_time: int = 0
    files: int = 0  # accepted files counted (monthly reports and directive documents)
    waiting: int = 0  # files of its months received since the publish, not processed yet
    held: int = 0  # files received after its approval, not counted


def freeze(home: Home, scope: Scope, period: Period, published_at: datetime | None) -> Freeze:
    """The figures a period's approval would hold, as the published copy has them."""
    summary = Freeze(period, published_at)
    of_scope, parameters = scope.sources_where("source_code", period.code)
    window = [period.first_month, period.last_month]
    reporting = _published(
        home,
        f"""
        select count(*) filter (where is_expected) as expected,
            count(*) filter (where is_expected and is_received) as received,
            count(*) filter (where is_expected and is_on_time) as on_time
        from marts.fct_reporting_completeness
        where report_month between ? and ? and {of_scope}""",
        [*window, *parameters],
    )
    versions = _published(
        home,
        f"""
        select count(*) filter (where is_current and submission_status = 'accepted') as files,
            count(*) filter (where is_held_by_approval and approved_period_code = ?) as held
        from marts.fct_submission_versions
        where report_month between ? and ? and {of_scope}""",
        [period.code, *window, *parameters],
    )
    if reporting and versions:
        summary.expected = int(reporting[0]["expected"] or 0)
        summary.received = int(reporting[0]["received"] or 0)
        summary.on_time = int(reporting[0]["on_time"] or 0)
        summary.files = int(versions[0]["files"] or 0)
        summary.held = int(versions[0]["held"] or 0)
    registered = _published(
        home, f"select source_code from marts.dim_sources where {of_scope}", parameters
    )
    codes = {row["source_code"] for row in registered or []}
    for path in home.inbox.iterdir() if home.inbox.is_dir() else []:
        name = parse_name(path.name)
        if name and name.source_code in codes and period.contains(name.month):
            summary.waiting += 1
    return summary


APPROVAL_ACTIONS = ("approve", "reopen")


def decide(
    home: Home,
    store: Store,
    province_code: str,
    period_code: str,
    action: str,
    login: str,
    counts_files_until: datetime,
) -> bool:
    """Approve (`approve`) or re-open (`reopen`) a province's period; when that changed
    anything, the approvals file the nightly run reads is written again. False if the period
    already was so (approved by another request meanwhile, or not approved)."""
    if action == "approve":
        try:
            changed = approve(store, province_code, period_code, login, counts_files_until)
        except IntegrityError:  # approved by another request meanwhile
            changed = False
    elif action == "reopen":
        changed = reopen(store, province_code, period_code, login)
    else:
        raise ValueError(f"unknown approval action {action!r}")
    if changed:
        path = approvals_file(home)
        folder = private_folder(path.parent)
        # read and written under one lock: two decisions at once (two workers) each write the
        # database's state as it is after both, never one without the other's
        with open(folder / f".{path.name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            write_approvals(home, current_approvals(store))
        private_file(folder / path.name)
    return changed
