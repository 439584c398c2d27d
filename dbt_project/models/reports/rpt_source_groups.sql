-- grain: one row per period × report area × kind of source (the department's own excluded):
-- for a province its groups as fct_source_group_periods has them; for the country ('VN') each
-- kind summed over the provinces, the provincial outlets by their kind (there are a hundred)
-- Each group with its name in the report and, when it covers only some of the period, its months.
-- Incremental by period: a night recomputes the periods its months fall in.
{{ incremental_by_period() }}

-- depends_on: {{ ref('int_period_months') }}
with

period_groups as (
    select * from {{ ref('fct_source_group_periods') }}
    {% if narrowed_to_periods() %}
        where period_code in (
            {{ reached_periods() }}
        )
    {% endif %}
),

groups as (
    select * from period_groups
    where source_kind != 'department'
),

source_spans as (
    select * from {{ ref('int_source_periods_spanned') }}
    {% if narrowed_to_periods() %}
        where period_code in (
            {{ reached_periods() }}
        )
    {% endif %}
),

kinds as (
    select * from {{ ref('stg_reference__source_kinds') }}
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

province_groups as (
    select
        groups.province_code as report_area_code,
        groups.period_code,
        groups.source_kind,
        groups.source_role,
        -- the provincial outlets by their names in the period; the other groups by their kind
        case
            when groups.source_kind = 'outlet_provincial' then names.source_names
            else kinds.group_label_vi
        end as group_label_vi,
        kinds.result_lead_vi,
        groups.is_local_office,
        groups.sort_order,
        groups.sources_registered,
        groups.first_month,
        groups.last_month,
        groups.covers_part_of_period,
        groups.source_months_expected,
        groups.source_months_received,
        groups.sources_reporting,
        groups.rows_accepted,
        groups.quantity,
        groups.has_data
    from groups
    left join names
        on
            groups.period_code = names.period_code
            and groups.province_code = names.province_code
            and groups.source_kind = names.source_kind
    left join kinds
        on groups.source_kind = kinds.source_kind
),

country_groups as (
    select
        'VN' as report_area_code,
        period_code,
        source_kind,
        any_value(source_role) as source_role,
        case source_kind
            when 'outlet_provincial' then 'Các báo, đài của các tỉnh, thành phố'
            else any_value(group_label_vi)
        end as group_label_vi,
        any_value(result_lead_vi) as result_lead_vi,
        any_value(is_local_office) as is_local_office,
        any_value(sort_order) as sort_order,
        sum(sources_registered) as sources_registered,
        min(first_month) as first_month,
        max(last_month) as last_month,
        bool_or(covers_part_of_period) as covers_part_of_period,
        sum(source_months_expected) as source_months_expected,
        sum(source_months_received) as source_months_received,
        sum(sources_reporting) as sources_reporting,
        sum(rows_accepted) as rows_accepted,
        sum(quantity) as quantity,
        bool_or(has_data) as has_data
    from province_groups
    group by period_code, source_kind
),

all_groups as (
    select * from province_groups
    union all
    select * from country_groups
),

final as (
    select
        period_code || ':' || report_area_code || ':' || source_kind as report_source_group_key,
        *,
        -- the months of a group registered for only some of the period, as the report writes
        -- them after its name
        case
            when covers_part_of_period then {{ months_span_vi('first_month', 'last_month') }}
        end as months_span_vi
    from all_groups
)

select * from final
