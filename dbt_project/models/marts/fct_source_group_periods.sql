-- grain: one row per period × province (its report area: dim_report_areas) × kind of source
-- registered in the period
-- The groups the report's results are written by, as they were in the period: the districts'
-- offices until June 2025, the communes' from July 2025, the provincial outlets by the names
-- they had (two until June 2025, the merged one after). A group says how much of the period it
-- covers and whether it sent anything, so that no sentence describes work without figures.
with

periods as (
    select * from {{ ref('dim_periods') }}
),

period_months as (
    select * from {{ ref('int_period_months') }}
),

report_areas as (
    select * from {{ ref('dim_report_areas') }}
),

sources as (
    select * from {{ ref('dim_sources') }}
),

kinds as (
    select * from {{ ref('stg_reference__source_kinds') }}
),

completeness as (
    select * from {{ ref('fct_reporting_completeness') }}
),

outputs as (
    select * from {{ ref('fct_media_outputs') }}
),

source_months as (
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
),

-- each source once, with the months of the period it was registered for (not only those
-- listed so far)
source_spans as (
    select
        source_months.period_code,
        source_months.province_code,
        source_months.source_kind,
        source_months.source_code,
        any_value(source_months.source_name) as source_name,
        any_value(source_months.valid_from) as valid_from,
        cast(greatest(
            any_value(periods.first_month),
            date_trunc('month', any_value(source_months.valid_from))
        ) as date) as first_month,
        cast(least(
            any_value(periods.last_month),
            date_trunc('month', coalesce(any_value(source_months.valid_to), date '9999-12-31'))
        ) as date) as last_month,
        any_value(periods.first_month) as first_period_month,
        any_value(periods.last_month) as last_period_month
    from source_months
    inner join periods
        on source_months.period_code = periods.period_code
    group by
        source_months.period_code, source_months.province_code, source_months.source_kind,
        source_months.source_code
),

-- the sources' names, with their months when they were registered for only some of the
-- period ("Báo Lạng Sơn, Đài Phát thanh và Truyền hình Lạng Sơn (tháng 1-6/2025)")
name_parts as (
    select
        period_code,
        province_code,
        source_kind,
        first_month,
        string_agg(source_name, ', ' order by valid_from, source_code)
        || case
            when first_month = first_period_month and last_month = last_period_month then ''
            else ' (' || {{ months_span_vi('first_month', 'last_month') }} || ')'
        end as name_part
    from source_spans
    group by
        period_code, province_code, source_kind, first_month, last_month, first_period_month,
        last_period_month
),

names as (
    select
        period_code,
        province_code,
        source_kind,
        string_agg(name_part, '; ' order by first_month) as source_names
    from name_parts
    group by period_code, province_code, source_kind
),

spans as (
    select
        period_code,
        province_code,
        source_kind,
        min(first_month) as first_month,
        max(last_month) as last_month,
        any_value(first_period_month) as first_period_month,
        any_value(last_period_month) as last_period_month
    from source_spans
    group by period_code, province_code, source_kind
),

months as (
    select
        period_code,
        province_code,
        source_kind,
        any_value(source_role) as source_role,
        count(distinct source_code) as sources_registered,
        count(*) filter (where is_expected) as source_months_expected,
        count(*) filter (where is_expected and is_received) as source_months_received,
        count(distinct source_code) filter (where is_received) as sources_reporting,
        coalesce(sum(row_count) filter (where is_received), 0) as rows_accepted
    from source_months
    group by period_code, province_code, source_kind
),

quantities as (
    select
        period_months.period_code,
        report_areas.report_area_code as province_code,
        sources.source_kind,
        sum(outputs.quantity) as quantity
    from outputs
    inner join sources
        on outputs.source_code = sources.source_code
    inner join period_months
        on outputs.report_month = period_months.report_month
    inner join report_areas
        on
            period_months.period_code = report_areas.period_code
            and sources.province_code = report_areas.province_code
    group by period_months.period_code, report_areas.report_area_code, sources.source_kind
),

final as (
    select
        months.period_code || ':' || months.province_code || ':' || months.source_kind
            as source_group_period_key,
        months.period_code,
        months.province_code,
        months.source_kind,
        months.source_role,
        -- the provincial outlets by their names in the period; the other groups by their kind
        case
            when months.source_kind = 'outlet_provincial' then names.source_names
            else kinds.group_label_vi
        end as group_label_vi,
        kinds.result_lead_vi,
        kinds.is_local_office,
        kinds.sort_order,
        months.sources_registered,
        spans.first_month,
        spans.last_month,
        -- the group was registered for only part of the period (each half of 2025); the
        -- provincial outlets say so in their names
        months.source_kind != 'outlet_provincial'
        and (
            spans.first_month > spans.first_period_month
            or spans.last_month < spans.last_period_month
        ) as covers_part_of_period,
        months.source_months_expected,
        months.source_months_received,
        months.sources_reporting,
        months.rows_accepted,
        coalesce(quantities.quantity, 0) as quantity,
        months.rows_accepted > 0 as has_data
    from months
    inner join spans
        on
            months.period_code = spans.period_code
            and months.province_code = spans.province_code
            and months.source_kind = spans.source_kind
    left join names
        on
            months.period_code = names.period_code
            and months.province_code = names.province_code
            and months.source_kind = names.source_kind
    left join kinds
        on months.source_kind = kinds.source_kind
    left join quantities
        on
            months.period_code = quantities.period_code
            and months.province_code = quantities.province_code
            and months.source_kind = quantities.source_kind
)

select * from final
