-- grain: one row per period × source × month of the period the source was expected to report
-- or reported (int_source_months_checked), with the province it counts in in that period
-- (its report area: a merged province's predecessors count in it)
with

periods as (
    select * from {{ ref('int_periods_listed') }}
),

period_months as (
    select * from {{ ref('int_period_months') }}
),

report_areas as (
    select * from {{ ref('int_report_areas_mapped') }}
),

sources as (
    select * from {{ ref('int_sources_classified') }}
),

completeness as (
    select * from {{ ref('int_source_months_checked') }}
),

final as (
    select
        periods.period_code,
        report_areas.report_area_code as province_code,
        sources.source_kind,
        sources.source_role,
        sources.source_code,
        sources.source_name,
        sources.valid_from,
        sources.valid_to,
        completeness.report_month,
        completeness.is_expected,
        completeness.is_received,
        completeness.row_count
    from completeness
    inner join sources
        on completeness.source_code = sources.source_code
    inner join period_months
        on completeness.report_month = period_months.report_month
    inner join periods
        on period_months.period_code = periods.period_code
    inner join report_areas
        on
            periods.period_code = report_areas.period_code
            and sources.province_code = report_areas.province_code
)

select * from final
