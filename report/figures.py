"""Every figure the report prints, computed from the warehouse marts and kept with its id.

The document takes each number's text from here, so `figures.json` and the .docx cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path

from outreach.core.numbers import format_count, format_percent
from outreach.core.periods import Period
from outreach.core.scope import Scope
from outreach.core.settings import settings
from outreach.core.warehouse import fetch_dicts

LOCAL_KINDS = ("district", "commune")   # the local offices: districts' until June 2025, then
# the communes'


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
    scope: Scope                 # the province reported on, or the country
    as_of: date
    is_closed: bool
    directives: list[dict]
    indicators: list[dict]
    outputs: list[dict]          # source_kind × output type × topic, period totals
    outlet_months: list[dict]    # outlets: media items per source × month
    monthly_topics: list[dict]   # all outlets and offices: media items per month × topic
    local_outputs: list[dict]    # local offices: quantity per office × output type
    counselling: dict[str, dict]  # per kind of source: communes, sessions, people
    groups: list[dict]           # the groups of sources of the period, in report order
    reporting_calendar: str      # the rule the warehouse was built with (dim_periods)
    completeness: list[dict]     # source × month rows of the period
    reporting_rates: list[dict]  # the total first, then source kinds, then districts (or provinces)
    flags: list[dict]            # dq flags for the period
    sources: dict[str, dict]
    output_types: dict[str, dict]
    topics: dict[str, dict]


def _rows(con, sql: str, params: list | None = None) -> list[dict]:
    return fetch_dicts(con, sql, params or [])


# the national report sums the provinces' numerators and denominators (the indicators are
# ratios of counts, so the sum is the country's ratio); targets are the programme's, as for one
_NATIONAL_INDICATORS = """
    with summed as (
        select values.indicator_code, values.programme_code,
            any_value(values.target_value) as target_value,
            any_value(values.target_operator) as target_operator,
            bool_or(values.is_demo_target) as is_demo_target,
            sum(values.numerator) as numerator, sum(values.denominator) as denominator
        from marts.fct_indicator_values as values
        where values.period_code = ? and values.area_level = 'province'
        group by values.indicator_code, values.programme_code
    )
    select summed.*, 'VN' as area_code, 'country' as area_level,
        case when summed.denominator > 0
            then cast(summed.numerator as double) / summed.denominator end as indicator_value,
        case
            when summed.denominator = 0 or summed.target_value is null then null
            when summed.target_operator = '>='
                then cast(summed.numerator as double) / summed.denominator >= summed.target_value
            when summed.target_operator = '<='
                then cast(summed.numerator as double) / summed.denominator <= summed.target_value
        end as is_met,
        indicators.indicator_label_vi
    from summed
    left join marts.dim_indicators as indicators
        on summed.indicator_code = indicators.indicator_code
        and summed.programme_code = indicators.programme_code
    order by summed.indicator_code"""

# the country: its total, its source kinds, then each province (in place of the districts)
_NATIONAL_RATES = """
    with provinces as (
        select * from marts.fct_reporting_rates
        where period_code = ? and aggregation_level in ('province', 'source_kind')
    ),
    relabelled as (
        select *,
            case aggregation_level when 'province' then 'country' else 'source_kind' end
                as total_level,
            case aggregation_level when 'province' then 'VN' else aggregation_code end
                as total_code,
            case aggregation_level when 'province' then 'Toàn quốc' else aggregation_label_vi end
                as total_label
        from provinces
    ),
    summed as (
        select total_level as aggregation_level, total_code as aggregation_code,
            any_value(total_label) as aggregation_label_vi,
            sum(expected_reports) as expected_reports, sum(actual_reports) as actual_reports,
            sum(reports_on_time) as reports_on_time, sum(reports_late) as reports_late,
            sum(empty_reports) as empty_reports,
            sum(rejected_only_reports) as rejected_only_reports,
            sum(not_reported) as not_reported
        from relabelled
        group by total_level, total_code
    ),
    each_province as (
        select rates.aggregation_level, rates.aggregation_code, areas.area_name
                as aggregation_label_vi,
            rates.expected_reports, rates.actual_reports, rates.reports_on_time,
            rates.reports_late, rates.empty_reports, rates.rejected_only_reports,
            rates.not_reported
        from provinces as rates
        left join marts.dim_areas as areas
            on areas.area_level = 'province' and rates.aggregation_code = areas.area_code
        where rates.aggregation_level = 'province'
    ),
    all_rows as (
        select * from summed
        union all
        select * from each_province
    )
    select *, actual_reports / expected_reports as reporting_rate,
        reports_on_time / expected_reports as on_time_rate
    from all_rows
    order by case aggregation_level when 'country' then 1 when 'source_kind' then 2 else 3 end,
        aggregation_code"""


# the country's groups: each kind summed over the provinces (the provincial outlets by their kind:
# there are a hundred of them)
_NATIONAL_GROUPS = """
    select groups.source_kind,
        case groups.source_kind when 'outlet_provincial'
            then 'Các báo, đài của các tỉnh, thành phố'
            else any_value(groups.group_label_vi) end as group_label_vi,
        any_value(groups.result_lead_vi) as result_lead_vi,
        any_value(groups.is_local_office) as is_local_office,
        any_value(groups.sort_order) as sort_order,
        sum(groups.sources_registered) as sources_registered,
        min(groups.first_month) as first_month, max(groups.last_month) as last_month,
        bool_or(groups.covers_part_of_period) as covers_part_of_period,
        sum(groups.source_months_expected) as source_months_expected,
        sum(groups.source_months_received) as source_months_received,
        sum(groups.sources_reporting) as sources_reporting,
        sum(groups.rows_accepted) as rows_accepted, sum(groups.quantity) as quantity,
        bool_or(groups.has_data) as has_data
    from marts.fct_source_group_periods as groups
    where groups.period_code = ? and groups.source_kind != 'department'
    group by groups.source_kind
    order by sort_order"""


def _groups(con, period: Period, scope: Scope) -> list[dict]:
    if scope.is_national:
        return _rows(con, _NATIONAL_GROUPS, [period.code])
    return _rows(con, """
        select * from marts.fct_source_group_periods
        where period_code = ? and province_code = ? and source_kind != 'department'
        order by sort_order""", [period.code, scope.province_code])


def load_report_data(con, period: Period, scope: Scope) -> ReportData:
    """The period's rows for one province (or, summed, for the country)."""
    start, end = period.start, period.end
    calendar = settings().calendar  # directive documents count by the days the period covers
    of_scope, scope_params = scope.sources_where()
    period_row = _rows(con, "select is_closed, reporting_calendar from marts.dim_periods "
                       "where period_code = ?", [period.code])
    as_of = con.execute("select max(as_of_date) from marts.fct_reporting_completeness"
                        ).fetchone()[0]
    if scope.is_national:
        indicators = _rows(con, _NATIONAL_INDICATORS, [period.code])
        rates = _rows(con, _NATIONAL_RATES, [period.code])
    else:
        indicators = _rows(con, """
            select values.*, indicators.indicator_label_vi
            from marts.fct_indicator_values as values
            left join marts.dim_indicators as indicators
                on values.indicator_code = indicators.indicator_code
                and values.programme_code = indicators.programme_code
            where values.period_code = ? and values.area_level = 'province'
                and values.area_code = ?
            order by values.indicator_code""", [period.code, scope.province_code])
        rates = _rows(con, """
            select * from marts.fct_reporting_rates
            where period_code = ? and province_code = ?
                and aggregation_level in ('province', 'source_kind', 'district')
            order by case aggregation_level when 'province' then 1 when 'source_kind' then 2
                else 3 end, aggregation_code""", [period.code, scope.province_code])
    return ReportData(
        period=period,
        scope=scope,
        as_of=as_of,
        is_closed=bool(period_row and period_row[0]["is_closed"]),
        reporting_calendar=period_row[0]["reporting_calendar"] if period_row
        else settings().calendar.kind,
        directives=_rows(con, f"""
            select document_number, issued_date, document_summary, source_code, file_name
            from marts.fct_directive_documents
            where issued_date between ? and ? and {of_scope}
            order by issued_date, document_number""",
                         [*calendar.period_dates(period), *scope_params]),
        indicators=indicators,
        outputs=_rows(con, f"""
            select source_kind, output_group, output_type_code, topic_code,
                sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and {of_scope}
            group by all""", [start, end, *scope_params]),
        outlet_months=_rows(con, f"""
            select source_code, report_month, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and output_group = 'media'
                and source_kind in ('outlet_central', 'outlet_provincial') and {of_scope}
            group by all""", [start, end, *scope_params]),
        monthly_topics=_rows(con, f"""
            select report_month, topic_code, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and output_group = 'media' and {of_scope}
            group by all""", [start, end, *scope_params]),
        local_outputs=_rows(con, f"""
            select source_code, source_kind, output_type_code, sum(quantity) as quantity
            from marts.fct_media_outputs
            where report_month between ? and ? and source_kind in ('district', 'commune')
                and {of_scope}
            group by all""", [start, end, *scope_params]),
        # by kind of source: a district office names the old communes, a commune office its new
        # one (the reform reused codes), so communes are counted within a kind
        counselling={row["source_kind"]: row for row in _rows(con, f"""
            select source_kind, count(distinct commune_code) as communes,
                coalesce(sum(quantity), 0) as sessions,
                coalesce(sum(people_reached), 0) as people
            from marts.fct_media_outputs
            where report_month between ? and ? and output_type_code = 'tu_van' and {of_scope}
            group by source_kind""", [start, end, *scope_params])},
        groups=_groups(con, period, scope),
        completeness=_rows(con, f"""
            select * from marts.fct_reporting_completeness
            where report_month between ? and ? and {of_scope}
            order by source_code, report_month""", [start, end, *scope_params]),
        reporting_rates=rates,
        flags=_rows(con, f"""
            select * from dq.flags where period_code = ? and {of_scope}
            order by check_name, source_code, report_month""", [period.code, *scope_params]),
        sources={row["source_code"]: row for row in _rows(
            con, f"select * from marts.dim_sources where {of_scope}", scope_params)},
        output_types={row["output_type_code"]: row for row in _rows(
            con, "select * from marts.dim_output_types order by sort_order")},
        topics={row["topic_code"]: row for row in _rows(
            con, "select * from marts.dim_topics order by sort_order")},
    )
