-- grain: one row per reporting period (quarter, half-year, year, programme phase) that overlaps
-- the months listed: from the registry's first month to the as-of month
-- The periods are defined once, in outreach/core/periods.py, which writes the seed ref_periods;
-- the days they cover follow the reporting calendar (macros/reporting_dates.sql).
-- reads the as-of date: re-created each night it moves (outreach.orchestration.dbt_selection)
{{ config(tags=['as_of_date']) }}

with

periods as (
    select * from {{ ref('stg_reference__periods') }}
),

listed as (
    select
        min(report_month) as first_listed_month,
        max(report_month) as last_listed_month
    from {{ ref('int_expected_reports_listed') }}
),

final as (
    select
        periods.period_code,
        periods.period_kind,
        year(periods.first_month) as period_year,
        periods.first_month,
        periods.last_month,
        periods.month_count,
        -- the days the period's figures cover, by the reporting calendar
        {{ month_window_start('periods.first_month') }} as period_start_date,
        {{ month_window_end('periods.last_month') }} as period_end_date,
        periods.period_label_vi,
        periods.base_period_code,
        periods.previous_period_code,
        periods.trend_kind,
        periods.trend_first_month,
        -- closed: every month's submission was due before the as-of date
        {{ due_date('periods.last_month') }} < {{ as_of_date() }} as is_closed,
        '{{ var("reporting_calendar") }}' as reporting_calendar
    from periods
    cross join listed
    where
        periods.last_month >= listed.first_listed_month
        and periods.first_month <= listed.last_listed_month
)

select * from final
