"""Where each figure came from: the submissions (source, month, file, revision) behind it.

Each figure states its lineage where it is defined (`report.figures.Lineage`: which output
rows, source-months or directive documents it counts); `Trace.sources_of` turns a lineage into
the accepted submissions whose rows (or whose arrival) it counts. `figures.json` lists them for
every figure, and the report's last annex for every figure printed in the body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from outreach.core.periods import Period
from outreach.core.scope import Scope
from outreach.core.settings import settings
from outreach.core.warehouse import fetch_dicts
from report.figures import Lineage

_NONE = np.array([], dtype=np.intp)  # the positions of a value no row has


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
    report reads 300,000 rows, most of their values repeated): far less memory than dicts.

    A column a lineage names is also held as an array of numbers, one per distinct value
    (`codes`), so that the rows of 18,000 figures are matched by numpy, not row by row."""

    BATCH = 50_000

    def __init__(self, cursor) -> None:
        self.column = {description[0]: n for n, description in enumerate(cursor.description)}
        shared: dict = {}
        self.rows: list[tuple] = []
        while batch := cursor.fetchmany(self.BATCH):
            self.rows.extend(
                tuple(shared.setdefault(value, value) for value in row) for row in batch
            )
        self._codes: dict[str, tuple[dict[object, int], np.ndarray]] = {}

    def codes(self, column: str) -> tuple[dict[object, int], np.ndarray]:
        """The column's distinct values, each with its number, and the number of each row."""
        known = self._codes.get(column)
        if known is None:
            at, numbers = self.column[column], dict[object, int]()
            array_ = np.fromiter(
                (numbers.setdefault(row[at], len(numbers)) for row in self.rows),
                dtype=np.int32,
                count=len(self.rows),
            )
            known = self._codes[column] = (numbers, array_)
        return known


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
        self._indexes: dict[tuple[str, str], dict[object, np.ndarray]] = {}
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
        # each submission's place in the order figures list their files: source, month, revision
        ordered = sorted(
            self.submissions.values(),
            key=lambda s: (s.source_code, s.report_month, s.revision_number),
        )
        self.rank = {source.submission_id: place for place, source in enumerate(ordered)}

    def _positions(self, of: str, column: str, value: object) -> np.ndarray:
        """The positions in the table `of` ("rows" or "months") of the rows whose `column` is
        `value`."""
        index = self._indexes.get((of, column))
        if index is None:
            numbers, codes = self.tables[of].codes(column)
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(numbers) + 1))
            index = self._indexes[(of, column)] = {
                value: order[bounds[number] : bounds[number + 1]]
                for value, number in numbers.items()
            }
        return index.get(value, _NONE)

    def _months(self, of: str, lineage: Lineage) -> np.ndarray:
        """The numbers (in the table `of`) of the months (YYYY-MM) of the periods whose rows a
        lineage counts."""
        codes = lineage.periods or (self.period.code,)
        numbers, _ = self.tables[of].codes("report_month")
        months = {f"{month:%Y-%m}" for code in codes for month in self.periods[code].months}
        return np.array([numbers[month] for month in months if month in numbers], dtype=np.int32)

    def _matching(self, of: str, lineage: Lineage) -> set[str]:
        table = self.tables[of]
        where = dict(lineage.where)
        source = where.pop("source_code", None)
        if source is not None:  # a source's code is looked up as text
            where["source_code"] = str(source)
        if where:  # the fewest rows a column names, then the other columns checked on them
            column = min(where, key=lambda name: len(self._positions(of, name, where[name])))
            chosen = self._positions(of, column, where.pop(column))
        else:
            chosen = np.arange(len(table.rows))
        keep = np.isin(table.codes("report_month")[1][chosen], self._months(of, lineage))
        for column, value in where.items():
            numbers, codes = table.codes(column)
            keep &= codes[chosen] == numbers.get(value, -1)
        chosen = chosen[keep]
        submission = table.column["submission_id"]
        if not lineage.flagged_by:
            return {table.rows[position][submission] for position in chosen.tolist()}
        month, source_code = table.column["report_month"], table.column["source_code"]
        return {
            row[submission]
            for row in map(table.rows.__getitem__, chosen.tolist())
            if (lineage.flagged_by, row[source_code], row[month]) in self.flagged
        }

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
        return [
            self.submissions[i] for i in sorted(found & self.rank.keys(), key=self.rank.__getitem__)
        ]
