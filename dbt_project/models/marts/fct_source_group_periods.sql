-- grain: one row per period × province (its report area: dim_report_areas) × kind of source
-- registered in the period
-- The groups the report's results are written by, as they were in the period: the districts'
-- offices until June 2025, the communes' from July 2025, the provincial outlets (two until
-- June 2025, the merged one after). A group says how much of the period it covers and whether
-- it sent anything, so that no sentence describes work without figures. Its name in the report
-- is rpt_source_groups'.
-- Incremental by period: a night recomputes the periods its months fall in.
{{ incremental_by_period() }}

with

{% if narrowed_to_periods() %}
    reached as (
        {{ reached_periods() }}
    ),
{% endif %}

source_months as (
    select * from {{ ref('int_source_months_assigned') }}
    {% if narrowed_to_periods() %}
        where period_code in (select reached.period_code from reached)
    {% endif %}
),

source_spans as (
    select * from {{ ref('int_source_periods_spanned') }}
    {% if narrowed_to_periods() %}
        where period_code in (select reached.period_code from reached)
    {% endif %}
),

period_months as (
    select * from {{ ref('int_period_months') }}
    {% if narrowed_to_periods() %}
        where period_code in (select reached.period_code from reached)
    {% endif %}
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

outputs as (
    select * from {{ ref('fct_media_outputs') }}
    {% if narrowed_to_periods() %}
        where report_month in (select period_months.report_month from period_months)
    {% endif %}
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
    left join kinds
        on months.source_kind = kinds.source_kind
    left join quantities
        on
            months.period_code = quantities.period_code
            and months.province_code = quantities.province_code
            and months.source_kind = quantities.source_kind
)

select * from final
