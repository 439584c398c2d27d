"""What the cross-check of claimed items against the outlets' sites says, as the department's
matrix, the outlet's own page, the status and the report's annex show it (read from the marts
`fct_published_crosscheck` and `fct_claimed_item_checks`).

A cross-check is a signal beside a reported figure: nothing here changes one. Only months the
reads of the outlet's feeds vouch for count (`is_covered`): in another month an address not
found says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from outreach.core.numbers import format_count
from outreach.core.warehouse import fetch_dicts

# how a claimed address's verdict is told to a person
VERDICTS_VI = {
    "found": "Tìm thấy",
    "not_found": "Không tìm thấy trên trang",
    "other_month": "Đăng vào tháng khác",
    "other_topic": "Khác chủ đề",
    "not_covered": "Chưa đủ dữ liệu đối chiếu",
}


@dataclass(frozen=True)
class OutletCheck:
    """One outlet over some months: the items claimed (on the topics the rules know, of the
    types published online) and found on its site in the months covered, the claimed addresses'
    verdicts, and the months covered and not."""

    source_code: str
    months: int
    covered_months: int
    claimed: int
    found: int
    above_months: int  # source-month-topics flagged: claimed well above found
    addresses: int  # claimed addresses checked (months covered)
    addresses_found: int
    not_found: int
    other_month: int
    other_topic: int

    @property
    def is_covered(self) -> bool:
        return self.covered_months > 0

    @property
    def mismatches(self) -> int:
        return self.not_found + self.other_month + self.other_topic

    @property
    def cell_vi(self) -> str:
        """The matrix's cell: found of claimed, or why there is nothing to compare."""
        if not self.is_covered:
            return "Chưa đủ dữ liệu"
        return f"{format_count(self.found)}/{format_count(self.claimed)}"

    @property
    def detail_vi(self) -> str:
        """What the cell stands for, in a sentence."""
        if not self.is_covered:
            return (
                "Chưa đọc được đủ các tin, bài đã đăng trên trang của đơn vị để đối chiếu "
                f"({self.months} tháng có kê khai, chưa tháng nào đủ dữ liệu)."
            )
        parts = [
            f"Kê khai {format_count(self.claimed)} tin, bài về các chủ đề; tìm thấy "
            f"{format_count(self.found)} trên trang của đơn vị ({self.covered_months}/"
            f"{self.months} tháng đủ dữ liệu)."
        ]
        if self.addresses:
            parts.append(
                f"{format_count(self.addresses_found)}/{format_count(self.addresses)} đường dẫn "
                "kê khai khớp."
            )
        if self.mismatches:
            parts.append(f"{self.mismatches} đường dẫn không khớp.")
        if self.above_months:
            parts.append(f"{self.above_months} trường hợp kê khai nhiều hơn số tìm thấy.")
        return " ".join(parts)


def _has_marts(con: duckdb.DuckDBPyConnection) -> bool:
    """A warehouse built before the cross-check existed has neither mart: nothing to show."""
    present = {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' and table_name "
            "in ('fct_published_crosscheck', 'fct_claimed_item_checks')"
        ).fetchall()
    }
    return len(present) == 2


def outlet_checks(
    con: duckdb.DuckDBPyConnection, source_codes: list[str], first_month: date, last_month: date
) -> dict[str, OutletCheck]:
    """Each outlet's cross-check over the months (those of the outlets with a feed only)."""
    return over_months(outlet_month_checks(con, source_codes, first_month, last_month))


def over_months(checks: dict[tuple[str, date], OutletCheck]) -> dict[str, OutletCheck]:
    """Each outlet's months added up: every count of a check is a sum over its months."""
    totals: dict[str, OutletCheck] = {}
    counts = [name for name in OutletCheck.__dataclass_fields__ if name != "source_code"]
    for (code, _), check in sorted(checks.items()):
        total = totals.get(code)
        totals[code] = (
            check
            if total is None
            else OutletCheck(
                code, **{name: getattr(total, name) + getattr(check, name) for name in counts}
            )
        )
    return totals


def outlet_month_checks(
    con: duckdb.DuckDBPyConnection, source_codes: list[str], first_month: date, last_month: date
) -> dict[tuple[str, date], OutletCheck]:
    """Each outlet-month's cross-check: what the matrix's cell of the month shows."""
    if not source_codes or not _has_marts(con):
        return {}
    rows = fetch_dicts(
        con,
        """
        with counts as (
            select source_code, report_month as month,
                count(distinct report_month) as months,
                count(distinct report_month) filter (where is_covered) as covered_months,
                coalesce(sum(claimed_count) filter (where is_covered), 0) as claimed,
                coalesce(sum(found_count) filter (where is_covered), 0) as found,
                count(*) filter (where is_claimed_above_found) as above_months
            from marts.fct_published_crosscheck
            where report_month between ? and ? and source_code in (select unnest(?::varchar[]))
            group by all
        ),
        addresses as (
            select source_code, report_month as month,
                count(*) filter (where verdict <> 'not_covered') as addresses,
                count(*) filter (where verdict = 'found') as addresses_found,
                count(*) filter (where verdict = 'not_found') as not_found,
                count(*) filter (where verdict = 'other_month') as other_month,
                count(*) filter (where verdict = 'other_topic') as other_topic
            from marts.fct_claimed_item_checks
            where report_month between ? and ? and source_code in (select unnest(?::varchar[]))
            group by all
        )
        select counts.*, coalesce(addresses.addresses, 0) as addresses,
            coalesce(addresses.addresses_found, 0) as addresses_found,
            coalesce(addresses.not_found, 0) as not_found,
            coalesce(addresses.other_month, 0) as other_month,
            coalesce(addresses.other_topic, 0) as other_topic
        from counts
        left join addresses
            on counts.source_code = addresses.source_code
            and counts.month = addresses.month""",
        [first_month, last_month, source_codes] * 2,
    )
    counts = [name for name in OutletCheck.__dataclass_fields__ if name != "source_code"]
    return {
        (row["source_code"], row["month"]): OutletCheck(
            row["source_code"], **{name: int(row[name] or 0) for name in counts}
        )
        for row in rows
    }


def claimed_findings(con: duckdb.DuckDBPyConnection, source_code: str) -> list[dict]:
    """The outlet's claimed addresses that did not match its site (not found, another month,
    another topic), latest month first: what its own page lists for it to correct or explain."""
    if not _has_marts(con):
        return []
    rows = fetch_dicts(
        con,
        """
        select c.report_month, c.file_name, c.file_row_number, c.claimed_url, c.claimed_title,
            c.verdict, c.published_date, c.published_title, t.topic_label_vi
        from marts.fct_claimed_item_checks c
        left join marts.dim_topics t using (topic_code)
        where c.source_code = ? and c.is_flagged
        order by c.report_month desc, c.file_row_number""",
        [source_code],
    )
    for row in rows:
        row["verdict_vi"] = VERDICTS_VI[row["verdict"]]
    return rows


def claimed_above_found(con: duckdb.DuckDBPyConnection, source_code: str) -> list[dict]:
    """The outlet's months and topics whose claimed items are well above what its site shows,
    latest month first: the other half of what its own page lists."""
    if not _has_marts(con):
        return []
    return fetch_dicts(
        con,
        """
        select c.report_month, c.claimed_count, c.found_count, t.topic_label_vi
        from marts.fct_published_crosscheck c
        left join marts.dim_topics t using (topic_code)
        where c.source_code = ? and c.is_claimed_above_found
        order by c.report_month desc, t.sort_order""",
        [source_code],
    )


def month_cells(
    con: duckdb.DuckDBPyConnection, first_month: date, last_month: date
) -> dict[tuple[str, date], str]:
    """Each outlet-month's cross-check in a few words, for the status table's "Đối chiếu"
    column: found of claimed, and what did not match; "chưa đủ dữ liệu" in a month the reads do
    not cover."""
    if not _has_marts(con):
        return {}
    rows = fetch_dicts(
        con,
        """
        with months as (
            select source_code, report_month, bool_and(is_covered) as is_covered,
                sum(claimed_count) as claimed, sum(found_count) as found,
                count(*) filter (where is_claimed_above_found) as above
            from marts.fct_published_crosscheck
            where report_month between ? and ?
            group by source_code, report_month
        ),
        addresses as (
            select source_code, report_month, count(*) as mismatched
            from marts.fct_claimed_item_checks
            where is_flagged and report_month between ? and ?
            group by source_code, report_month
        )
        select months.*, coalesce(addresses.mismatched, 0) as mismatched
        from months
        left join addresses using (source_code, report_month)""",
        [first_month, last_month] * 2,
    )
    cells = {}
    for row in rows:
        if not row["is_covered"]:
            text = "chưa đủ dữ liệu"
        else:
            parts = [f"{format_count(row['found'])}/{format_count(row['claimed'])} tìm thấy"]
            if row["mismatched"]:
                parts.append(f"{row['mismatched']} đường dẫn không khớp")
            if row["above"]:
                parts.append("kê khai nhiều hơn số tìm thấy")
            text = "; ".join(parts)
        cells[(row["source_code"], row["report_month"])] = text
    return cells
