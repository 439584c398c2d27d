-- grain: one row per source × month the source must report, up to the as-of month
-- A source is expected for every month of its registry validity whose days (by the reporting
-- calendar) have all passed by the as-of date (DHIS2's data-set assignment); the month in
-- progress is listed but not yet expected.
-- reads the as-of date: re-created each night it moves (outreach.orchestration.dbt_selection)
{{ config(tags=['as_of_date']) }}

with

sources as (
    select * from {{ ref('stg_reference__sources') }}
    where submits_monthly
),

bounds as (
    select
        date_trunc('month', min(valid_from)) as first_month,
        date_trunc('month', {{ as_of_date() }}) as as_of_month
    from sources
),

months as (
    select
        cast(unnest(generate_series(first_month, as_of_month, interval 1 month)) as date)
            as report_month
    from bounds
),

assigned as (
    select
        sources.source_code,
        months.report_month,
        {{ month_window_end('months.report_month') }} < {{ as_of_date() }} as is_expected
    from sources
    inner join months
        on
            months.report_month >= date_trunc('month', sources.valid_from)
            and (sources.valid_to is null or sources.valid_to >= months.report_month)
)

select * from assigned
