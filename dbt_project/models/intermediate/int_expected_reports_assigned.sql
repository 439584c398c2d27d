-- grain: one row per period (month, quarter, half-year, year, phase) × source × month it was
-- expected to report in that period
-- Each expected source-month in its own month and in every reporting period that holds it, in
-- the province it counts in then: the 63 provinces went to 34 on 1 July 2025, and a period
-- that ends after it counts a source of an old province for the province that succeeded it
-- (int_report_areas_mapped; a month, the same way). fct_reporting_rates counts them once due.
with

expected_months as (
    select * from {{ ref('int_source_months_checked') }}
    where is_expected
),

sources as (
    select * from {{ ref('stg_reference__sources') }}
),

province_successions as (
    select * from {{ ref('stg_reference__province_successions') }}
),

report_areas as (
    select * from {{ ref('int_report_areas_mapped') }}
),

period_months as (
    select * from {{ ref('int_period_months') }}
),

month_facts as (
    select
        'month' as period_kind,
        strftime(expected_months.report_month, '%Y-%m') as period_code,
        expected_months.source_code,
        expected_months.source_kind,
        expected_months.district_code,
        case
            when expected_months.report_month >= province_successions.succession_date
                then province_successions.new_province_code
            else sources.province_code
        end as province_code,
        expected_months.report_month,
        expected_months.due_date,
        expected_months.is_received,
        expected_months.is_on_time,
        expected_months.is_empty_report,
        expected_months.submission_status
    from expected_months
    inner join sources
        on expected_months.source_code = sources.source_code
    left join province_successions
        on sources.province_code = province_successions.old_province_code
),

period_facts as (
    select
        period_months.period_kind,
        period_months.period_code,
        expected_months.source_code,
        expected_months.source_kind,
        expected_months.district_code,
        report_areas.report_area_code as province_code,
        expected_months.report_month,
        expected_months.due_date,
        expected_months.is_received,
        expected_months.is_on_time,
        expected_months.is_empty_report,
        expected_months.submission_status
    from expected_months
    inner join period_months
        on expected_months.report_month = period_months.report_month
    inner join sources
        on expected_months.source_code = sources.source_code
    inner join report_areas
        on
            period_months.period_code = report_areas.period_code
            and sources.province_code = report_areas.province_code
),

final as (
    select * from month_facts
    union all
    select * from period_facts
)

select * from final
