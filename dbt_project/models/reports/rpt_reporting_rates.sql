-- grain: one row per period × report area × line of the completeness table: for a province
-- (report area = its code) its total, its kinds of source and its districts; for the country
-- (report area 'VN') its total, its kinds of source summed over the provinces, and each province
-- Each line with its label as the report prints it.
with

rates as (
    select * from {{ ref('fct_reporting_rates') }}
),

areas as (
    select * from {{ ref('dim_areas') }}
    where area_level = 'province'
),

report_area_names as (
    select distinct
        period_code,
        report_area_code,
        report_area_name
    from {{ ref('dim_report_areas') }}
),

sources as (
    select * from {{ ref('dim_sources') }}
),

district_labels as (
    select distinct
        district_code,
        district_name
    from sources
    where district_code is not null
),

kind_labels as (
    select distinct
        source_kind,
        source_group_label_vi
    from sources
),

labelled_rates as (
    select
        rates.*,
        case rates.aggregation_level
            when 'district' then district_labels.district_name
            when 'source_kind' then kind_labels.source_group_label_vi
            else 'Toàn tỉnh'
        end as aggregation_label_vi
    from rates
    left join district_labels
        on
            rates.aggregation_level = 'district'
            and rates.aggregation_code = district_labels.district_code
    left join kind_labels
        on
            rates.aggregation_level = 'source_kind'
            and rates.aggregation_code = kind_labels.source_kind
),

province_lines as (
    select
        province_code as report_area_code,
        period_code,
        aggregation_level,
        aggregation_code,
        aggregation_label_vi,
        expected_reports,
        actual_reports,
        reports_on_time,
        reports_late,
        empty_reports,
        rejected_only_reports,
        not_reported
    from labelled_rates
    where aggregation_level in ('province', 'source_kind', 'district')
),

country_parts as (
    select
        period_code,
        case aggregation_level when 'province' then 'country' else 'source_kind' end
            as aggregation_level,
        case aggregation_level when 'province' then 'VN' else aggregation_code end
            as aggregation_code,
        case aggregation_level when 'province' then 'Toàn quốc' else aggregation_label_vi end
            as aggregation_label_vi,
        expected_reports,
        actual_reports,
        reports_on_time,
        reports_late,
        empty_reports,
        rejected_only_reports,
        not_reported
    from labelled_rates
    where aggregation_level in ('province', 'source_kind')
),

country_totals as (
    select
        'VN' as report_area_code,
        period_code,
        aggregation_level,
        aggregation_code,
        any_value(aggregation_label_vi) as aggregation_label_vi,
        sum(expected_reports) as expected_reports,
        sum(actual_reports) as actual_reports,
        sum(reports_on_time) as reports_on_time,
        sum(reports_late) as reports_late,
        sum(empty_reports) as empty_reports,
        sum(rejected_only_reports) as rejected_only_reports,
        sum(not_reported) as not_reported
    from country_parts
    group by period_code, aggregation_level, aggregation_code
),

country_provinces as (
    select
        'VN' as report_area_code,
        rates.period_code,
        rates.aggregation_level,
        rates.aggregation_code,
        -- the province as it was named in the period (a reused code: its name of then)
        coalesce(area_names.report_area_name, areas.area_name) as aggregation_label_vi,
        rates.expected_reports,
        rates.actual_reports,
        rates.reports_on_time,
        rates.reports_late,
        rates.empty_reports,
        rates.rejected_only_reports,
        rates.not_reported
    from rates
    left join areas
        on rates.aggregation_code = areas.area_code
    left join report_area_names as area_names
        on
            rates.period_code = area_names.period_code
            and rates.aggregation_code = area_names.report_area_code
    where rates.aggregation_level = 'province'
),

all_lines as (
    select * from province_lines
    union all
    select * from country_totals
    union all
    select * from country_provinces
),

final as (
    select
        period_code || ':' || report_area_code || ':' || aggregation_level || ':'
        || aggregation_code as report_rate_key,
        *,
        actual_reports / expected_reports as reporting_rate,
        reports_on_time / expected_reports as on_time_rate,
        -- the report's order: the total, then the kinds of source, then districts or provinces
        case
            when aggregation_level = 'country' then 1
            when aggregation_level = 'province' and report_area_code != 'VN' then 1
            when aggregation_level = 'source_kind' then 2
            else 3
        end as line_order
    from all_lines
)

select * from final
