"""Every figure the report prints, computed from the warehouse marts and kept with its id.

The document takes each number's text from here, so `figures.json` and the .docx cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

from outreach.core.calendar import ReportingCalendar
from outreach.core.numbers import format_count, format_percent
from outreach.core.periods import Period
from outreach.core.scope import Scope
from outreach.core.settings import crosscheck_enabled, settings
from outreach.core.warehouse import fetch_dicts, warehouse_as_of
from report.comparisons import PREVIOUS_PERIOD, SAME_PERIOD, Change
from report.crosscheck import OutletCheck, outlet_checks


@dataclass(frozen=True)
class Lineage:
    """The accepted files a figure came from, stated where the figure is defined.

    `of` says which rows it counts: "rows" (the output rows of `marts.rpt_output_lineage`),
    "months" (the source-months with a file, `marts.fct_reporting_completeness`) or
    "directives" (the directive documents of the period); `where` the columns those rows must
    match; `flagged_by` (months only) a check whose flagged months only count. A figure from the
    registry or the programme (a target, a count of registered sources) has no lineage: None.
    `periods` the periods whose rows it counts: none given, the report's own; a figure compared
    with another period names that one (its value then), or both (the change).
    `report.trace.Trace` turns a lineage into files; the figure's id plays no part in it.
    """

    of: str
    where: tuple[tuple[str, object], ...] = ()
    flagged_by: str | None = None
    periods: tuple[str, ...] = ()

    def over(self, *period_codes: str) -> Lineage:
        """The same rows, in other periods."""
        return replace(self, periods=tuple(period_codes))


def of_rows(**where: object) -> Lineage:
    """The output rows matching every column given (`source_kind="district"`, ...)."""
    return Lineage("rows", tuple(sorted(where.items())))


def of_months(*, flagged_by: str | None = None, **where: object) -> Lineage:
    """The source-months with a file matching every column given."""
    return Lineage("months", tuple(sorted(where.items())), flagged_by)


DIRECTIVES = Lineage("directives")

# the rows each indicator of the programme counts, as fct_indicator_values counts them (its
# figures name these rows' files); a target, and the denominators of I1, I3 and I4 (key-area
# communes, their populations, reporters on the beat) come from the registry, not from a file
INDICATOR_ROWS: dict[str, Lineage] = {
    "I1_communes_counselled": of_rows(output_type_code="tu_van", is_key_area=True),
    "I2_monthly_posting": of_rows(
        source_kind="outlet_provincial", output_group="media", topic_code="mua_ban_nguoi"
    ),
    "I3_people_reached": of_rows(
        output_group="grassroots", is_key_area=True, topic_code="mua_ban_nguoi"
    ),
    "I4_reporters_trained": of_rows(output_type_code="tap_huan"),
}
# I2's denominator: every due month of the provincial outlets
INDICATOR_DENOMINATORS: dict[str, Lineage] = {
    "I2_monthly_posting": of_months(source_kind="outlet_provincial"),
}


DRAFT_ONLY = "draft"


@dataclass(frozen=True)
class Figure:
    id: str
    label_vi: str
    value: float | int | None
    text: str
    # where the report first prints it: the body or the annex; "draft" for a figure only a draft
    # cites that a saved text replaced (the portal shows it beside the section)
    part: str = "body"
    lineage: Lineage | None = None


@dataclass
class FigureBook:
    """Every figure the report prints: its id, label, value, text, and where it came from.

    A figure is defined once, where it is printed: `count(id, label, value, source=of_rows(...))`.
    Its text comes from its value, its files from its lineage (never from its id).
    """

    figures: dict[str, Figure] = field(default_factory=dict)
    part: str = "body"  # the part of the document being written

    def count(self, figure_id: str, label_vi: str, value: int, *, source: Lineage | None) -> str:
        return self._add(
            Figure(figure_id, label_vi, int(value), format_count(int(value)), lineage=source)
        )

    def percent(
        self, figure_id: str, label_vi: str, value: float | None, *, source: Lineage | None
    ) -> str:
        return self._add(Figure(figure_id, label_vi, value, format_percent(value), lineage=source))

    def compare(
        self,
        figure_id: str,
        change: Change,
        kind: str,
        *,
        current: str,
        compared: str,
        lineage: Lineage | None = None,
    ) -> None:
        """Record a printed figure's value in another period and its change (`kind`:
        same_period, previous_period): `<id>.<kind>.base`, `.change` and `.change_percent` (a
        count's; none from a base of zero); their files are those of the other period (the
        base) and of both (the change), counted as `lineage` says (default the figure's own:
        a group compared by role names the role's rows). The mart's value of the figure must be
        the one printed."""
        figure = self.figures[figure_id]
        if not _same_value(figure.value, change.current):
            raise ValueError(
                f"figure {figure_id}: {figure.value} printed, {change.current} compared "
                f"({kind}): the report and rpt_period_comparisons disagree"
            )
        lineage = lineage or figure.lineage
        label = f"{figure.label_vi} ({change.against})"
        base = replace(
            figure,
            id=f"{figure_id}.{kind}.base",
            label_vi=label,
            value=change.compared,
            text=change.base_text(),
            lineage=lineage.over(compared) if lineage else None,
        )
        both = lineage.over(current, compared) if lineage else None
        delta = replace(
            figure,
            id=f"{figure_id}.{kind}.change",
            label_vi=f"{figure.label_vi}: tăng/giảm so với {change.against}",
            value=change.change,
            text=change.change_text(),
            lineage=both,
        )
        for entry in (base, delta):
            self._add(entry)
        if not change.is_rate:
            self._add(
                replace(
                    figure,
                    id=f"{figure_id}.{kind}.change_percent",
                    label_vi=f"{figure.label_vi}: tỷ lệ tăng/giảm so với {change.against}",
                    value=change.ratio,
                    text=change.share_text(),
                    lineage=both,
                )
            )

    def _add(self, figure: Figure) -> str:
        figure = replace(figure, part=self.part)
        previous = self.figures.setdefault(figure.id, figure)
        if (previous.value, previous.text) != (figure.value, figure.text):
            raise ValueError(f"figure {figure.id} printed with two values")
        if previous.lineage != figure.lineage:
            raise ValueError(f"figure {figure.id} printed with two lineages")
        if previous.part == DRAFT_ONLY and figure.part != DRAFT_ONLY:  # printed after all
            self.figures[figure.id] = replace(previous, part=figure.part)
        return figure.text

    def printed_in_body(self, figure_ids: set[str]) -> None:
        """The draft's figures with these ids, and their comparisons, are printed in the body."""
        for figure_id, figure in list(self.figures.items()):
            own = figure_id.split(".same_period.")[0].split(".previous_period.")[0]
            if figure.part == DRAFT_ONLY and own in figure_ids:
                self.figures[figure_id] = replace(figure, part="body")

    def body_figures(self) -> list[Figure]:
        return [figure for figure in self.figures.values() if figure.part == "body"]

    def write_json(self, path: Path, trace=None, **context: object) -> None:
        """Every figure with its id, label, value and text, and (given a trace) the accepted
        submissions it came from, listed once under `submissions`.

        Written as it is encoded, one figure and one submission a line: the country's figures
        name two million files, which as one document in memory (or indented one a line) took
        hundreds of MB and most of the report's time."""
        encode = json.JSONEncoder(ensure_ascii=False, default=str).encode  # C, one value
        submissions: dict[str, dict] = {}
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("{\n")
            for key, value in context.items():
                pretty = json.dumps(value, ensure_ascii=False, indent=2, default=str)
                handle.write(f"  {encode(key)}: {pretty.replace(chr(10), chr(10) + '  ')},\n")
            handle.write('  "figures": [')
            for number, figure in enumerate(self.figures.values()):
                entry = {name: getattr(figure, name) for name in _FIGURE_FIELDS}
                if trace is not None:
                    sources = trace.sources_of(figure.lineage)
                    entry["sources"] = [source.submission_id for source in sources]
                    for source in sources:  # each once: a national figure may name 20,000
                        if source.submission_id not in submissions:
                            submissions[source.submission_id] = source.as_dict()
                handle.write(("\n    " if number == 0 else ",\n    ") + encode(entry))
            handle.write("\n  ]" if self.figures else "]")
            if trace is not None:
                handle.write(',\n  "submissions": {')
                for number, key in enumerate(sorted(submissions)):
                    line = f"{encode(key)}: {encode(submissions[key])}"
                    handle.write(("\n    " if number == 0 else ",\n    ") + line)
                handle.write("\n  }" if submissions else "}")
            handle.write("\n}\n")


# what figures.json says of a figure, in this order (its lineage is said as its `sources`)
_FIGURE_FIELDS = [item.name for item in fields(Figure) if item.name != "lineage"]


def _same_value(printed: float | int | None, compared: float | None) -> bool:
    if printed is None or compared is None:
        return printed is None and compared is None
    return abs(float(printed) - float(compared)) <= 1e-9 * max(1.0, abs(float(printed)))


@dataclass
class ReportData:
    """What the document needs, read from the marts for one period."""

    period: Period
    scope: Scope  # the province reported on, or the country
    as_of: date
    is_closed: bool
    directives: list[dict]
    indicators: list[dict]
    outputs: list[dict]  # source_kind × output type × topic, period totals
    outlet_months: list[dict]  # outlets: media items per source × month
    monthly_topics: list[dict]  # all outlets and offices: media items per month × topic
    local_outputs: list[dict]  # local offices: quantity per office × output type
    counselling: dict[str, dict]  # per kind of source: communes, sessions, people
    groups: list[dict]  # the groups of sources of the period, in report order
    reporting_calendar: str  # the rule the warehouse was built with (dim_periods)
    completeness: list[dict]  # source × month rows of the period
    held: list[dict]  # corrections received after the period's approval: kept, not counted
    reporting_rates: list[dict]  # the total first, then source kinds, then districts (or provinces)
    flags: list[dict]  # dq flags for the period
    sources: dict[str, dict]
    output_types: dict[str, dict]
    topics: dict[str, dict]
    # every figure against the same period a year earlier and against the previous period:
    # comparison kind -> measure key -> the row of marts.rpt_period_comparisons
    comparisons: dict[str, dict[str, dict]] = field(default_factory=dict)
    trend: list[dict] = field(default_factory=list)  # the trend chart's periods, by measure
    # each province's report area in the period: itself, or (from the period ending after the
    # 2025 merger) the province it merged into
    report_areas: dict[str, str] = field(default_factory=dict)
    # each outlet's cross-check against its site over the period, when the deployment turns the
    # cross-check on (None: off, and the report has no annex of it)
    crosscheck: dict[str, OutletCheck] | None = None

    @property
    def calendar(self) -> ReportingCalendar:
        """The reporting calendar the warehouse was built with."""
        return ReportingCalendar(self.reporting_calendar, settings().on_time_days)

    def has_compared_data(self, kind: str) -> bool:
        """Whether the warehouse has reports of the other period to compare with."""
        return any(row["has_compared_data"] for row in self.comparisons.get(kind, {}).values())


def _rows(con, sql: str, params: list | None = None) -> list[dict]:
    return fetch_dicts(con, sql, params or [])


COUNTRY = "VN"  # the report area of the country in the rpt_ marts


def _area(scope: Scope) -> str:
    """The report area the rpt_ marts give the scope's rows under: a province, or the country."""
    return COUNTRY if scope.is_national else str(scope.province_code)


def load_report_data(con, period: Period, scope: Scope) -> ReportData:
    """The period's rows for one province (or, summed, for the country)."""
    start, end = period.start, period.end
    calendar = settings().calendar  # directive documents count by the days the period covers
    of_scope, scope_params = scope.sources_where(period_code=period.code)
    period_row = _rows(
        con,
        "select is_closed, reporting_calendar from marts.dim_periods where period_code = ?",
        [period.code],
    )
    as_of = warehouse_as_of(con)
    if as_of is None:
        raise RuntimeError(
            "the warehouse records no build as of a date (meta.builds): run `outreach build` "
            "before `outreach report`"
        )
    area = [period.code, _area(scope)]
    indicators = _rows(
        con,
        """
        select * from marts.rpt_indicator_values
        where period_code = ? and area_code = ?
        order by indicator_code""",
        area,
    )
    compared = _rows(
        con,
        """
        select * from marts.rpt_period_comparisons
        where period_code = ? and report_area_code = ?
        order by comparison_kind, compared_period_code, measure_key""",
        area,
    )
    rates = _rows(
        con,
        """
        select * from marts.rpt_reporting_rates
        where period_code = ? and report_area_code = ?
        order by line_order, aggregation_code""",
        area,
    )
    return ReportData(
        period=period,
        scope=scope,
        as_of=as_of,
        is_closed=bool(period_row and period_row[0]["is_closed"]),
        reporting_calendar=period_row[0]["reporting_calendar"]
        if period_row
        else settings().calendar.kind,
        directives=_rows(
            con,
            f"""
            select document_number, issued_date, document_summary, source_code, file_name
            from marts.fct_directive_documents
            where issued_date between ? and ? and {of_scope}
            order by issued_date, document_number""",
            [*calendar.period_dates(period), *scope_params],
        ),
        indicators=indicators,
        outputs=_rows(
            con,
            f"""
            select source_kind, output_group, output_type_code, topic_code,
                sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and {of_scope}
            group by all""",
            [start, end, *scope_params],
        ),
        outlet_months=_rows(
            con,
            f"""
            select source_code, report_month, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and output_group = 'media'
                and source_kind in ('outlet_central', 'outlet_provincial') and {of_scope}
            group by all""",
            [start, end, *scope_params],
        ),
        monthly_topics=_rows(
            con,
            f"""
            select report_month, topic_code, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and output_group = 'media' and {of_scope}
            group by all""",
            [start, end, *scope_params],
        ),
        local_outputs=_rows(
            con,
            f"""
            select source_code, source_kind, output_type_code, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and {of_scope}
                and source_kind in (
                    select source_kind from marts.dim_sources where source_role = 'local_office'
                )
            group by all""",
            [start, end, *scope_params],
        ),
        # by kind of source: a district office names the old communes, a commune office its new
        # one (the reform reused codes), so communes are counted within a kind
        counselling={
            row["source_kind"]: row
            for row in _rows(
                con,
                f"""
            select source_kind, count(distinct commune_code) as communes,
                coalesce(sum(quantity), 0) as sessions,
                coalesce(sum(people_reached), 0) as people
            from marts.fct_media_outputs
            where report_month between ? and ? and output_type_code = 'tu_van' and {of_scope}
            group by source_kind""",
                [start, end, *scope_params],
            )
        },
        groups=_rows(
            con,
            """
            select * from marts.rpt_source_groups
            where period_code = ? and report_area_code = ?
            order by sort_order""",
            area,
        ),
        completeness=_rows(
            con,
            f"""
            select * from marts.fct_reporting_completeness
            where report_month between ? and ? and {of_scope}
            order by source_code, report_month""",
            [start, end, *scope_params],
        ),
        held=_rows(
            con,
            f"""
            select source_code, source_name, report_month, held_file_name, held_by_period_code
            from marts.rpt_submission_status
            where held_file_name is not null and report_month between ? and ? and {of_scope}
            order by report_month, source_code""",
            [start, end, *scope_params],
        ),
        reporting_rates=rates,
        flags=_rows(
            con,
            f"""
            select * from dq.flags where period_code = ? and {of_scope}
            order by check_name, source_code, report_month""",
            [period.code, *scope_params],
        ),
        sources={
            row["source_code"]: row
            for row in _rows(con, f"select * from marts.dim_sources where {of_scope}", scope_params)
        },
        output_types={
            row["output_type_code"]: row
            for row in _rows(con, "select * from marts.dim_output_types order by sort_order")
        },
        topics={
            row["topic_code"]: row
            for row in _rows(con, "select * from marts.dim_topics order by sort_order")
        },
        comparisons={
            kind: {row["measure_key"]: row for row in compared if row["comparison_kind"] == kind}
            for kind in (SAME_PERIOD, PREVIOUS_PERIOD)
        },
        trend=[row for row in compared if row["comparison_kind"] == "trend"],
        report_areas={
            str(row["province_code"]): str(row["report_area_code"])
            for row in _rows(
                con,
                "select province_code, report_area_code from marts.dim_report_areas "
                "where period_code = ?",
                [period.code],
            )
        },
        crosscheck=outlet_checks(
            con,
            [
                row["source_code"]
                for row in _rows(
                    con,
                    f"""
                    select source_code from marts.dim_sources
                    where source_kind in ('outlet_central', 'outlet_provincial') and {of_scope}""",
                    scope_params,
                )
            ],
            start,
            end,
        )
        if crosscheck_enabled()
        else None,
    )
