"""Every figure the report prints, computed from the warehouse marts and kept with its id.

The document takes each number's text from here, so `figures.json` and the .docx cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path

from outreach.periods import Period
from outreach.settings import settings
from report.numbers import format_count, format_percent
from report.status import fetch_dicts

SOURCE_KINDS = ("outlet_central", "outlet_provincial", "district")


@dataclass(frozen=True)
class Figure:
    id: str
    label_vi: str
    value: float | int | None
    text: str
    part: str = "body"  # where the report first prints it: the body or the annex


@dataclass
class FigureBook:
    figures: dict[str, Figure] = field(default_factory=dict)
    part: str = "body"  # the part of the document being written

    def count(self, figure_id: str, label_vi: str, value: int) -> str:
        return self._add(Figure(figure_id, label_vi, int(value), format_count(int(value))))

    def percent(self, figure_id: str, label_vi: str, value: float | None) -> str:
        return self._add(Figure(figure_id, label_vi, value, format_percent(value)))

    def _add(self, figure: Figure) -> str:
        figure = replace(figure, part=self.part)
        previous = self.figures.setdefault(figure.id, figure)
        if (previous.value, previous.text) != (figure.value, figure.text):
            raise ValueError(f"figure {figure.id} printed with two values")
        return figure.text

    def body_figures(self) -> list[Figure]:
        return [figure for figure in self.figures.values() if figure.part == "body"]

    def write_json(self, path: Path, trace=None, **context: object) -> None:
        """Every figure with its id, label, value and text, and (given a trace) the accepted
        submissions it came from, listed once under `submissions`."""
        figures, submissions = [], {}
        for figure in self.figures.values():
            entry = asdict(figure)
            if trace is not None:
                sources = trace.sources_of(figure.id)
                entry["sources"] = [source.submission_id for source in sources]
                submissions.update({s.submission_id: s.as_dict() for s in sources})
            figures.append(entry)
        payload = {**context, "figures": figures}
        if trace is not None:
            payload["submissions"] = dict(sorted(submissions.items()))
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n",
                        encoding="utf-8")


@dataclass
class ReportData:
    """What the document needs, read from the marts for one period."""

    period: Period
    as_of: date
    is_closed: bool
    directives: list[dict]
    indicators: list[dict]
    outputs: list[dict]          # source_kind × output type × topic, period totals
    outlet_months: list[dict]    # outlets: media items per source × month
    monthly_topics: list[dict]   # all outlets and offices: media items per month × topic
    district_outputs: list[dict]  # districts: quantity per district × output type
    counselling: dict
    reporting_calendar: str      # the rule the warehouse was built with (dim_periods)
    completeness: list[dict]     # source × month rows of the period
    reporting_rates: list[dict]  # the period's rates: province, source kinds, districts
    flags: list[dict]            # dq flags for the period
    sources: dict[str, dict]
    output_types: dict[str, dict]
    topics: dict[str, dict]


def _rows(con, sql: str, params: list | None = None) -> list[dict]:
    return fetch_dicts(con, sql, params or [])


def load_report_data(con, period: Period) -> ReportData:
    start, end = period.start, period.end
    calendar = settings().calendar  # directive documents count by the days the period covers
    period_row = _rows(con, "select is_closed, reporting_calendar from marts.dim_periods "
                       "where period_code = ?", [period.code])
    as_of = con.execute("select max(as_of_date) from marts.fct_reporting_completeness"
                        ).fetchone()[0]
    return ReportData(
        period=period,
        as_of=as_of,
        is_closed=bool(period_row and period_row[0]["is_closed"]),
        reporting_calendar=period_row[0]["reporting_calendar"] if period_row
        else settings().calendar.kind,
        directives=_rows(con, """
            select document_number, issued_date, document_summary, source_code, file_name
            from marts.fct_directive_documents
            where issued_date between ? and ?
            order by issued_date, document_number""", list(calendar.period_dates(period))),
        indicators=_rows(con, """
            select values.*, indicators.indicator_label_vi
            from marts.fct_indicator_values as values
            left join marts.dim_indicators as indicators
                on values.indicator_code = indicators.indicator_code
                and values.programme_code = indicators.programme_code
            where values.period_code = ? and values.area_level = 'province'
            order by values.indicator_code""", [period.code]),
        outputs=_rows(con, """
            select source_kind, output_group, output_type_code, topic_code,
                sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ?
            group by all""", [start, end]),
        outlet_months=_rows(con, """
            select source_code, report_month, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and output_group = 'media'
                and source_kind in ('outlet_central', 'outlet_provincial')
            group by all""", [start, end]),
        monthly_topics=_rows(con, """
            select report_month, topic_code, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and output_group = 'media'
            group by all""", [start, end]),
        district_outputs=_rows(con, """
            select source_code, output_type_code, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and source_kind = 'district'
            group by all""", [start, end]),
        counselling=_rows(con, """
            select count(distinct commune_code) as communes, coalesce(sum(quantity), 0) as sessions,
                coalesce(sum(people_reached), 0) as people
            from marts.fct_media_outputs
            where report_month between ? and ? and output_type_code = 'tu_van'""",
                          [start, end])[0],
        completeness=_rows(con, """
            select * from marts.fct_reporting_completeness
            where report_month between ? and ?
            order by source_code, report_month""", [start, end]),
        reporting_rates=_rows(con, """
            select * from marts.fct_reporting_rates
            where period_code = ? and province_code = ?
                and aggregation_level in ('province', 'source_kind', 'district')
            order by case aggregation_level when 'province' then 1 when 'source_kind' then 2
                else 3 end, aggregation_code""", [period.code, settings().province_code]),
        flags=_rows(con, """
            select * from dq.flags where period_code = ?
            order by check_name, source_code, report_month""", [period.code]),
        sources={row["source_code"]: row for row in _rows(con, "select * from marts.dim_sources")},
        output_types={row["output_type_code"]: row for row in _rows(
            con, "select * from marts.dim_output_types order by sort_order")},
        topics={row["topic_code"]: row for row in _rows(
            con, "select * from marts.dim_topics order by sort_order")},
    )
