"""Where each figure came from: the submissions (source, month, file, revision) behind it.

A figure's id says what it counts (`outputs.district.tu_van.all`, `indicator.I3_...`,
`groups.commune.sources` (the registry's: no submission),
`rates.district.180.expected` ...); `Trace.sources_of` turns that into the accepted submissions
whose rows (or whose arrival) it counts. `figures.json` lists them for every figure, and the
report's last annex for every figure printed in the body.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from outreach.core.periods import Period
from outreach.core.scope import Scope
from outreach.core.settings import settings
from outreach.core.warehouse import fetch_dicts

INDICATOR_ROWS = {  # what rows each indicator counts
    "I1_communes_counselled": lambda r: r["output_type_code"] == "tu_van" and r["is_key_area"],
    "I2_monthly_posting": lambda r: (
        r["source_kind"] == "outlet_provincial"
        and r["output_group"] == "media"
        and r["topic_code"] == "mua_ban_nguoi"
    ),
    "I3_people_reached": lambda r: (
        r["output_group"] == "grassroots"
        and r["is_key_area"]
        and r["topic_code"] == "mua_ban_nguoi"
    ),
    "I4_reporters_trained": lambda r: r["output_type_code"] == "tap_huan",
}


@dataclass(frozen=True)
class Submission:
    submission_id: str
    source_code: str
    report_month: str
    file_name: str
    revision_number: int

    def as_dict(self) -> dict:
        return {
            "source_code": self.source_code,
            "report_month": self.report_month,
            "file_name": self.file_name,
            "revision": self.revision_number,
        }


class Trace:
    def __init__(self, con, period: Period, scope: Scope) -> None:
        window = [period.start, period.end]
        of_scope, scope_params = scope.sources_where("facts.source_code")
        self.rows = fetch_dicts(
            con,
            f"""
            select submission_id, source_code, source_kind, district_code,
                strftime(report_month, '%Y-%m') as report_month, output_type_code, topic_code,
                output_group, is_key_area
            from marts.rpt_output_lineage as facts
            where report_month between ? and ? and {of_scope}""",
            [*window, *scope_params],
        )
        self.monthly = fetch_dicts(
            con,
            f"""
            select facts.submission_id, facts.source_code, facts.source_kind,
                facts.district_code, sources.province_code,
                strftime(facts.report_month, '%Y-%m') as report_month
            from marts.fct_reporting_completeness as facts
            inner join marts.dim_sources as sources on facts.source_code = sources.source_code
            where facts.submission_id is not null and facts.report_month between ? and ?
                and {of_scope}""",
            [*window, *scope_params],
        )
        # the per-source figures (a district's outputs, an outlet's month) look up their rows
        self.rows_of_source = defaultdict(list)
        for row in self.rows:
            self.rows_of_source[row["source_code"]].append(row)
        self.months_of_source = defaultdict(list)
        for row in self.monthly:
            self.months_of_source[row["source_code"]].append(row)
        flagged = fetch_dicts(
            con,
            """
            select check_name, source_code, strftime(report_month, '%Y-%m') as report_month
            from dq.flags where period_code = ?""",
            [period.code],
        )
        self.flagged = {
            (row["check_name"], row["source_code"], row["report_month"]) for row in flagged
        }
        self.directives = {
            row["submission_id"]
            for row in fetch_dicts(
                con,
                f"""
            select distinct submission_id from marts.fct_directive_documents as facts
            where issued_date between ? and ? and {of_scope}""",
                [*settings().calendar.period_dates(period), *scope_params],
            )
        }
        self.submissions = {
            row["submission_id"]: Submission(
                row["submission_id"],
                row["source_code"],
                row["report_month"],
                row["file_name"],
                row["revision_number"],
            )
            for row in fetch_dicts(
                con,
                """
            select submission_id, source_code, strftime(report_month, '%Y-%m') as report_month,
                file_name, revision_number
            from marts.fct_submission_versions where submission_status = 'accepted'""",
                [],
            )
        }

    def _of_rows(self, keep, source: str | None = None) -> set[str]:
        rows = self.rows if source is None else self.rows_of_source.get(source, [])
        return {row["submission_id"] for row in rows if keep(row)}

    def _of_months(self, keep, source: str | None = None) -> set[str]:
        rows = self.monthly if source is None else self.months_of_source.get(source, [])
        return {row["submission_id"] for row in rows if keep(row)}

    def _indicator(self, code: str, part: str) -> set[str]:
        """A target comes from the programme and the denominators of I1, I3 and I4 from the
        reference data (key-area communes, their populations, reporters on the beat): none
        from a submission. I2's denominator is every due month of the provincial outlets."""
        if part in ("value", "numerator"):
            return self._of_rows(INDICATOR_ROWS[code])
        if part == "denominator" and code == "I2_monthly_posting":
            return self._of_months(lambda r: r["source_kind"] == "outlet_provincial")
        return set()

    def sources_of(self, figure_id: str) -> list[Submission]:
        """The accepted submissions the figure counts, in source and month order."""
        parts = figure_id.split(".")
        head = parts[0]
        found: set[str] = set()
        if head == "outputs":
            kind, what, topic = parts[1:4]
            found = self._of_rows(
                lambda r: (
                    (kind == "all" or r["source_kind"] == kind)
                    and (
                        r["output_group"] == "media"
                        if what == "media"
                        else r["output_type_code"] == what
                    )
                    and (topic == "all" or r["topic_code"] == topic)
                )
            )
        elif head == "outlet_month":
            code, month = parts[1:3]
            found = self._of_rows(
                lambda r: r["output_group"] == "media" and month in ("all", r["report_month"]), code
            )
        elif head in ("district_output", "local_output"):
            code, what = parts[1:3]
            found = self._of_rows(lambda r: what in ("all", r["output_type_code"]), code)
        elif head == "counselling":
            kind = parts[1]
            found = self._of_rows(
                lambda r: r["output_type_code"] == "tu_van" and r["source_kind"] == kind
            )
        elif head == "indicator" and parts[1] in INDICATOR_ROWS:
            found = self._indicator(parts[1], parts[2] if len(parts) > 2 else "value")
        elif head == "directives":
            found = self.directives
        elif head == "completeness" and parts[1] == "days_late":
            found = self._of_months(lambda r: r["report_month"] == parts[3], parts[2])
        elif figure_id == "flags.missing_submission.count":
            found = set()  # it counts months from which no accepted file came
        elif figure_id == "flags.missing_monthly_posting.count":
            found = self._of_months(
                lambda r: (
                    ("monthly_trafficking_posting", r["source_code"], r["report_month"])
                    in self.flagged
                )
            )
        elif head == "completeness":
            found = self._of_months(lambda r: True)
        elif head == "rates":
            level, code = parts[1:3]
            column = {
                "country": None,
                "province": "province_code",
                "source_kind": "source_kind",
                "district": "district_code",
            }[level]
            found = self._of_months(lambda r: column is None or r[column] == code)
        chosen = [self.submissions[i] for i in found if i in self.submissions]
        return sorted(chosen, key=lambda s: (s.source_code, s.report_month, s.revision_number))
