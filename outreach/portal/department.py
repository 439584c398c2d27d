"""The department's pages beyond the matrix: who to chase (with each message ready to copy or
to e-mail), the reports of each period to download, for the officer's province, and the
approval of a period's figures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError

from ingest.approvals import approvals_file, write_approvals
from outreach.core.home import Home
from outreach.core.periods import PERIOD_PATTERN, Period, latest_first, parse_period
from outreach.core.scope import Scope, UnknownProvince, resolve_scope
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
from report.build import load_config
from report.reminders import Reminder, reminders

# the files of a period's folder an officer may download, and what each is
DOWNLOADS = {
    re.compile(rf"bao-cao-(?P<period>{PERIOD_PATTERN})\.docx"): "Báo cáo (Word)",
    re.compile(rf"bao-cao-(?P<period>{PERIOD_PATTERN})\.pdf"): "Báo cáo (PDF)",
    re.compile(rf"bao-cao-(?P<period>{PERIOD_PATTERN})\.html"): "Báo cáo (xem trên trình duyệt)",
    re.compile(rf"nhac-nho-(?P<period>{PERIOD_PATTERN})\.csv"): "Danh sách nhắc (Excel, CSV)",
}


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
    """Each period's downloadable files, newest period first."""
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
        files = [
            {"name": path.name, "label": label}
            for path in sorted(scope.report_dir(home, period.code).glob("*"))
            for pattern, label in DOWNLOADS.items()
            if (match := pattern.fullmatch(path.name)) and match["period"] == period.code
        ]
        if files:
            found.append({"period": period, "files": files})
    return found


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
        write_approvals(home, current_approvals(store))
        path = approvals_file(home)
        private_file(private_folder(path.parent) / path.name)
    return changed
