"""Who to chase: each source that is missing, late, rejected or missing its monthly posting,
with its contact from the registry and a short Vietnamese message ready to send.

Built from the flags of the quality checks (`dq.flags`), so the reminder list, the report's
annex and the Data Docs say the same thing: which checks are chased, how each problem is named and
what the source is asked to do are the checks' own words (`expectations/catalogue.py`), carried
by the flags.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from outreach.core.home import Home
from outreach.core.periods import Period
from outreach.core.scope import Scope
from outreach.core.warehouse import fetch_dicts, read_while_running
from report.status import format_columns, write_excel_csv

COLUMNS = [
    "Mã đơn vị",
    "Đơn vị",
    "Tháng",
    "Vấn đề",
    "Người liên hệ",
    "Thư điện tử",
    "Điện thoại",
    "Nội dung nhắc",
]

_QUERY = """
select f.check_name, f.source_code, s.source_name, f.report_month, f.detail_vi,
       f.covers_month, f.reminder_problem_vi, f.reminder_ask_vi,
       s.contact_name, s.contact_email, s.contact_phone, s.is_demo_contact
from dq.flags f
join marts.dim_sources s using (source_code)
where f.period_code = ? and f.is_chased
  and f.report_month between ? and ? and {scope}
order by f.report_month, s.source_kind, f.source_code, f.check_name
"""


@dataclass(frozen=True)
class Reminder:
    source_code: str
    source_name: str
    month: date
    problem: str
    contact_name: str
    contact_email: str
    contact_phone: str
    message: str

    def cells(self) -> list[str]:
        return [
            self.source_code,
            self.source_name,
            f"{self.month:%m/%Y}",
            self.problem,
            self.contact_name,
            self.contact_email,
            self.contact_phone,
            self.message,
        ]


def _message(row: dict, sender: str) -> str:
    """A short message in Vietnamese, addressed to the source, from the department: the flag's
    detail, then what the check asks of the source."""
    return (
        f"Kính gửi {row['source_name']}: {row['detail_vi']} {sender} "
        f"{row['reminder_ask_vi']}. Trân trọng cảm ơn."
    )


def reminders(
    home: Home,
    period: Period,
    month: date | None = None,
    sender: str = "Sở Thông tin và Truyền thông",
    scope: Scope | None = None,
    warehouse=None,
) -> list[Reminder]:
    """The reminder list of a period (or of one of its months), from the latest checks, for
    one province's sources (default: all of the warehouse's)."""
    start, end = (month, month) if month else (period.start, period.end)
    of_scope, scope_params = (
        scope.sources_where("f.source_code", period.code) if scope else ("true", [])
    )
    query = _QUERY.format(scope=of_scope)
    parameters = [period.code, start, end, *scope_params]
    rows = read_while_running(home, lambda con: _fetch(con, query, parameters), warehouse)
    # a month not received is chased once, as missing, not again for its missing posting
    covered = {(row["source_code"], row["report_month"]) for row in rows if row["covers_month"]}
    rows = [
        row
        for row in rows
        if row["covers_month"] or (row["source_code"], row["report_month"]) not in covered
    ]
    return [
        Reminder(
            source_code=row["source_code"],
            source_name=row["source_name"],
            month=row["report_month"],
            problem=row["reminder_problem_vi"],
            contact_name=row["contact_name"] or "",
            contact_email=row["contact_email"] or "",
            contact_phone=row["contact_phone"] or "",
            message=_message(row, sender),
        )
        for row in rows
    ]


def _fetch(con, query: str, parameters: list) -> list[dict]:
    tables = {
        name
        for (name,) in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    }
    if "dq.flags" not in tables:
        return []  # no check has run on this warehouse yet
    return fetch_dicts(con, query, parameters)


def write_reminders_csv(rows: list[Reminder], path: Path) -> Path:
    return write_excel_csv(COLUMNS, [row.cells() for row in rows], path)


def reminders_html(rows: list[Reminder], title: str) -> str:
    """The list as an HTML table, for the e-mail the nightly run sends to the department."""
    if not rows:
        body = "<p>Không có đơn vị nào cần nhắc.</p>"
    else:
        head = "".join(f"<th>{html.escape(name)}</th>" for name in COLUMNS)
        lines = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in r.cells()) + "</tr>"
            for r in rows
        )
        body = f'<table border="1" cellpadding="4">\n<tr>{head}</tr>\n{lines}\n</table>'
    return f"<h3>{html.escape(title)}</h3>\n{body}"


def was_checked(home: Home, period: Period, warehouse=None) -> bool:
    """Whether the quality checks ran for the period (the reminders come from their flags)."""

    def read(con) -> bool:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'dq' and table_name = 'check_results'"
        ).fetchone()
        if not found or not found[0]:
            return False
        checked = con.execute(
            "select count(*) from dq.check_results where period_code = ?", [period.code]
        ).fetchone()
        return bool(checked and checked[0])

    return read_while_running(home, read, warehouse)


def format_reminders(rows: list[Reminder]) -> str:
    """A plain-text list for the terminal."""
    if not rows:
        return "Không có đơn vị nào cần nhắc."
    return format_columns(
        ["Mã đơn vị", "Đơn vị", "Tháng", "Vấn đề", "Liên hệ"],
        [
            [
                r.source_code,
                r.source_name,
                f"{r.month:%m/%Y}",
                r.problem,
                r.contact_email or r.contact_phone,
            ]
            for r in rows
        ],
    )


def reminder_file_name(period: Period, month: date | None) -> str:
    return f"nhac-nho-{month:%Y-%m}.csv" if month else f"nhac-nho-{period.code}.csv"
