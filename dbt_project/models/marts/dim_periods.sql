-- grain: one row per reporting period (half-years and years) from the registry's start to as-of
-- reads the as-of date: re-created each night it moves (outreach.orchestration.dbt_selection)
{{ config(tags=['as_of_date']) }}

with

months as (
    select distinct report_month from {{ ref('int_expected_reports_listed') }}
),

years as (
    select distinct year(report_month) as period_year from months
),

spans as (
    select
        '-H1' as code_suffix,
        'half_year' as period_kind,
        1 as first_month,
        6 as last_month,
        '6 tháng đầu năm ' as label_prefix
    union all
    select
        '-H2' as code_suffix,
        'half_year' as period_kind,
        7 as first_month,
        12 as last_month,
        '6 tháng cuối năm ' as label_prefix
    union all
    select
        '' as code_suffix,
        'year' as period_kind,
        1 as first_month,
        12 as last_month,
        'năm ' as label_prefix
),

periods as (
    select
        cast(years.period_year as varchar) || spans.code_suffix as period_code,
        spans.period_kind,
        years.period_year,
        -- the days the period's figures cover, by the reporting calendar
        {{ month_window_start('make_date(years.period_year, spans.first_month, 1)') }}
            as period_start_date,
        {{ month_window_end('make_date(years.period_year, spans.last_month, 1)') }}
            as period_end_date,
        spans.label_prefix || cast(years.period_year as varchar) as period_label_vi
    from years
    cross join spans
),

final as (
    select
        *,
        -- closed: every month's submission was due before the as-of date
        period_end_date + to_days({{ var('on_time_days') }}) < {{ as_of_date() }} as is_closed,
        '{{ var("reporting_calendar") }}' as reporting_calendar
    from periods
)

select * from final
