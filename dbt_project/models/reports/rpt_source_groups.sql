-- grain: one row per period × report area × kind of source (the department's own excluded):
-- for a province its groups as fct_source_group_periods has them; for the country ('VN') each
-- kind summed over the provinces, the provincial outlets by their kind (there are a hundred)
with

groups as (
    select * from {{ ref('fct_source_group_periods') }}
    where source_kind != 'department'
),

province_groups as (
    select
        province_code as report_area_code,
        period_code,
        source_kind,
        source_role,
        group_label_vi,
        result_lead_vi,
        is_local_office,
        sort_order,
        sources_registered,
        first_month,
        last_month,
        covers_part_of_period,
        source_months_expected,
        source_months_received,
        sources_reporting,
        rows_accepted,
        quantity,
        has_data
    from groups
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
    from groups
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
