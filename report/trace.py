"""Where each figure came from: the submissions (source, month, file, revision) behind it.

Each figure states its lineage where it is defined (`report.figures.Lineage`: which output
rows, source-months or directive documents it counts); `Trace.sources_of` turns a lineage into
the accepted submissions whose rows (or whose arrival) it counts. `figures.json` lists them for
every figure, and the report's last annex for every figure printed in the body.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from outreach.core.periods import Period
from outreach.core.scope import Scope
from outreach.core.settings import settings
from outreach.core.warehouse import fetch_dicts
from report.figures import Lineage

_NONE = array("l")  # the positions of a value no row has


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


class _Rows:
    """The rows of a query, each a tuple whose equal values are one object (the national
    report reads 300,000 rows, most of their values repeated): far less memory than dicts."""

    BATCH = 50_000

    def __init__(self, cursor) -> None:
        self.column = {description[0]: n for n, description in enumerate(cursor.description)}
        shared: dict = {}
        self.rows: list[tuple] = []
        while batch := cursor.fetchmany(self.BATCH):
            self.rows.extend(
                tuple(shared.setdefault(value, value) for value in row) for row in batch
            )


class Trace:
    """The submissions behind the figures of a report of `period`, and of the periods it is
    compared with (`compared`: their rows are read in the report's area, as the comparisons
    read them)."""

    def __init__(self, con, period: Period, scope: Scope, compared: Sequence[Period] = ()) -> None:
        self.period = period
        self.periods = {other.code: other for other in (period, *compared)}
        window = [
            min(other.start for other in self.periods.values()),
            max(other.end for other in self.periods.values()),
        ]
        of_scope, scope_params = scope.sources_where("facts.source_code", period.code)
        self.tables = {
            "rows": _Rows(
                con.execute(
                    f"""
            select facts.submission_id, facts.source_code, facts.source_kind,
                sources.source_role, facts.district_code,
                strftime(facts.report_month, '%Y-%m') as report_month, facts.output_type_code,
                facts.topic_code, facts.output_group, facts.is_key_area
            from marts.rpt_output_lineage as facts
            inner join marts.dim_sources as sources on facts.source_code = sources.source_code
            where facts.report_month between ? and ? and {of_scope}""",
                    [*window, *scope_params],
                )
            ),
            "months": _Rows(
                con.execute(
                    f"""
            select facts.submission_id, facts.source_code, facts.source_kind,
                sources.source_role, facts.district_code, sources.province_code,
                strftime(facts.report_month, '%Y-%m') as report_month
            from marts.fct_reporting_completeness as facts
            inner join marts.dim_sources as sources on facts.source_code = sources.source_code
            where facts.submission_id is not null and facts.report_month between ? and ?
                and {of_scope}""",
                    [*window, *scope_params],
                )
            ),
        }
        # a lineage's rows are found through an index of each column it names (built when
        # first asked for), and each lineage's submissions are worked out once: the national
        # report has 18,000 figures over 100,000 rows, and a scan for each took most of a minute
        self._indexes: dict[tuple[str, str], dict[object, array]] = {}
        self._found: dict[Lineage, list[Submission]] = {}
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
        calendar = settings().calendar
        days = [calendar.period_dates(other) for other in self.periods.values()]
        documents = fetch_dicts(
            con,
            f"""
            select distinct submission_id, issued_date
            from marts.fct_directive_documents as facts
            where issued_date between ? and ? and {of_scope}""",
            [min(first for first, _ in days), max(last for _, last in days), *scope_params],
        )
        # each period's directive documents: those issued on the days it covers
        self.directives = {
            code: {row["submission_id"] for row in documents if first <= row["issued_date"] <= last}
            for code, (first, last) in zip(self.periods, days, strict=True)
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

    def _positions(self, of: str, column: str, value: object) -> array:
        """The positions in the table `of` ("rows" or "months") of the rows whose `column` is
        `value`."""
        index = self._indexes.get((of, column))
        if index is None:
            table = self.tables[of]
            at = table.column[column]
            index = self._indexes[(of, column)] = defaultdict(lambda: array("l"))
            for position, row in enumerate(table.rows):
                index[row[at]].append(position)
        return index.get(value, _NONE)

    def _months(self, lineage: Lineage) -> set[str]:
        """The months (YYYY-MM) of the periods whose rows a lineage counts."""
        codes = lineage.periods or (self.period.code,)
        return {f"{month:%Y-%m}" for code in codes for month in self.periods[code].months}

    def _matching(self, of: str, lineage: Lineage) -> set[str]:
        table = self.tables[of]
        months, month = self._months(lineage), table.column["report_month"]
        where = dict(lineage.where)
        source = where.pop("source_code", None)
        if source is not None:  # a source's code is looked up as text
            where["source_code"] = str(source)
        chosen: Iterable[int] = range(len(table.rows))
        if where:  # the fewest rows a column names, then the other columns checked on them
            column = min(where, key=lambda name: len(self._positions(of, name, where[name])))
            chosen = self._positions(of, column, where.pop(column))
        checks = [(table.column[column], value) for column, value in where.items()]
        submission, source_code = table.column["submission_id"], table.column["source_code"]
        found = set()
        for position in chosen:
            row = table.rows[position]
            if row[month] not in months or any(row[at] != value for at, value in checks):
                continue
            if lineage.flagged_by and (
                (lineage.flagged_by, row[source_code], row[month]) not in self.flagged
            ):
                continue
            found.add(row[submission])
        return found

    def sources_of(self, lineage: Lineage | None) -> list[Submission]:
        """The accepted submissions a figure of this lineage counts, in source and month order
        (none for a figure of the registry or the programme)."""
        if lineage is None:
            return []
        try:
            known = self._found.get(lineage)
        except TypeError:  # a lineage with a value that cannot be a key: not kept
            return self._sources_of(lineage)
        if known is None:
            known = self._found[lineage] = self._sources_of(lineage)
        return list(known)

    def _sources_of(self, lineage: Lineage) -> list[Submission]:
        found: set[str] = set()
        if lineage.of in self.tables:
            found = self._matching(lineage.of, lineage)
        elif lineage.of == "directives":
            found = set().union(
                *(self.directives[code] for code in lineage.periods or (self.period.code,))
            )
        else:
            raise ValueError(f"unknown lineage {lineage.of!r}")
        chosen = [self.submissions[i] for i in found if i in self.submissions]
        return sorted(chosen, key=lambda s: (s.source_code, s.report_month, s.revision_number))
