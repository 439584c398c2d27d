-- grain: one row per reporting period of the calendar × month it covers
-- How the marts put a month into its periods (a month is in a quarter, a half-year, a year and
-- a phase): by the month's label, whichever days the reporting calendar makes it cover.
with

periods as (
    select * from {{ ref('stg_reference__periods') }}
),

final as (
    select
        period_code,
        period_kind,
        cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date)
            as report_month
    from periods
)

select * from final
