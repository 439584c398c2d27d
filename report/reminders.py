"""Who to chase: each source that is missing, late, rejected or missing its monthly posting,
with its contact from the registry and a short Vietnamese message ready to send.

Built from the flags of the quality checks (`dq.flags`), so the reminder list, the report's
annex and the Data Docs say the same thing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from expectations.checks import CHECK_LABELS_VI
from ingest.warehouse import connect
from outreach.home import Home
from outreach.periods import Period
from outreach.scope import Scope
from report.status import fetch_dicts, format_columns, write_excel_csv

# the checks whose flags a sender can act on
CHASED_CHECKS = {name: CHECK_LABELS_VI[name] for name in (
    "expected_submission_received", "submission_on_time", "monthly_trafficking_posting",
    "monthly_grassroots_posting")}

COLUMNS = ["Mã đơn vị", "Đơn vị", "Tháng", "Vấn đề", "Người liên hệ", "Thư điện tử",
           "Điện thoại", "Nội dung nhắc"]

_QUERY = """
select f.check_name, f.source_code, s.source_name, f.report_month, f.observed_value,
       f.detail_vi, s.contact_name, s.contact_email, s.contact_phone, s.is_demo_contact
from dq.flags f
join marts.dim_sources s using (source_code)
where f.period_code = ? and f.check_name in ({checks})
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
        return [self.source_code, self.source_name, f"{self.month:%m/%Y}", self.problem,
                self.contact_name, self.contact_email, self.contact_phone, self.message]


# the flag of a month not received says whether nothing came ("missing") or only a refused file
# ("rejected"): the two are chased with different words
PROBLEMS_VI = {("expected_submission_received", "missing"): "Chưa gửi báo cáo",
               ("expected_submission_received", "rejected"): "Bị trả lại, chưa gửi bản sửa"}


def _problem(row: dict) -> str:
    return PROBLEMS_VI.get((row["check_name"], row["observed_value"]),
                           CHASED_CHECKS[row["check_name"]])


def _message(row: dict, sender: str) -> str:
    """A short message in Vietnamese, addressed to the source, from the department."""
    if row["check_name"] == "expected_submission_received":
        ask = ("đề nghị đơn vị sửa các lỗi đã được thông báo và gửi lại bản sửa"
               if row["observed_value"] == "rejected" else "đề nghị đơn vị gửi báo cáo")
        return (f"Kính gửi {row['source_name']}: {row['detail_vi']} {sender} {ask}. "
                "Trân trọng cảm ơn.")
    ask = {
        "submission_on_time": "đề nghị đơn vị gửi báo cáo đúng hạn từ tháng sau",
        "monthly_trafficking_posting": "đề nghị đơn vị bảo đảm đăng ít nhất một tin, bài về "
                                       "phòng, chống mua bán người mỗi tháng",
        "monthly_grassroots_posting": "đề nghị đơn vị bảo đảm có ít nhất một hoạt động tuyên "
                                      "truyền cơ sở về phòng, chống mua bán người mỗi tháng",
    }[row["check_name"]]
    return (f"Kính gửi {row['source_name']}: {row['detail_vi']} {sender} {ask}. "
            "Trân trọng cảm ơn.")


def reminders(home: Home, period: Period, month: date | None = None,
              sender: str = "Sở Thông tin và Truyền thông",
              scope: Scope | None = None, warehouse=None) -> list[Reminder]:
    """The reminder list of a period (or of one of its months), from the latest checks, for
    one province's sources (default: all of the warehouse's)."""
    start, end = (month, month) if month else (period.start, period.end)
    checks = ", ".join(f"'{name}'" for name in CHASED_CHECKS)
    of_scope, scope_params = scope.sources_where("f.source_code") if scope else ("true", [])
    query = _QUERY.format(checks=checks, scope=of_scope)
    parameters = [period.code, start, end, *scope_params]
    try:
        with connect(warehouse or home.warehouse, read_only=True) as con:
            rows = _fetch(con, query, parameters)
    except duckdb.IOException:
        # the nightly run holds the working file: read the copy published after the last run
        with connect(home.published_warehouse, read_only=True) as con:
            rows = _fetch(con, query, parameters)
    # a month not received is chased once, as missing, not again for its missing posting
    unreported = {(row["source_code"], row["report_month"]) for row in rows
                  if row["check_name"] == "expected_submission_received"}
    rows = [row for row in rows if row["check_name"] == "expected_submission_received"
            or (row["source_code"], row["report_month"]) not in unreported]
    return [
        Reminder(source_code=row["source_code"], source_name=row["source_name"],
                 month=row["report_month"], problem=_problem(row),
                 contact_name=row["contact_name"] or "", contact_email=row["contact_email"] or "",
                 contact_phone=row["contact_phone"] or "", message=_message(row, sender))
        for row in rows
    ]


def _fetch(con, query: str, parameters: list) -> list[dict]:
    tables = {name for (name,) in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables").fetchall()}
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
        lines = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in r.cells())
                        + "</tr>" for r in rows)
        body = f'<table border="1" cellpadding="4">\n<tr>{head}</tr>\n{lines}\n</table>'
    return f"<h3>{html.escape(title)}</h3>\n{body}"


def format_reminders(rows: list[Reminder]) -> str:
    """A plain-text list for the terminal."""
    if not rows:
        return "Không có đơn vị nào cần nhắc."
    return format_columns(["Mã đơn vị", "Đơn vị", "Tháng", "Vấn đề", "Liên hệ"],
                          [[r.source_code, r.source_name, f"{r.month:%m/%Y}", r.problem,
                            r.contact_email or r.contact_phone] for r in rows])


def reminder_file_name(period: Period, month: date | None) -> str:
    return f"nhac-nho-{month:%Y-%m}.csv" if month else f"nhac-nho-{period.code}.csv"

