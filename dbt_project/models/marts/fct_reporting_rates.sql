-- grain: one row per period (month, quarter, half-year, year, phase) × province (its report
-- area: dim_report_areas) × aggregation (source, district, source kind, the province itself),
-- over the source-months due by the as-of date
-- reads the as-of date: re-created each night it moves (outreach.orchestration.dbt_selection)
{{ config(tags=['as_of_date']) }}

with

due_months as (
    select * from {{ ref('fct_reporting_completeness') }}
    -- due by the as-of date: a month still in its grace period counts for no one yet, not even
    -- when its file came early (DHIS2 counts a period once it can be late)
    where is_expected and due_date < {{ as_of_date() }}
),

sources as (
    select * from {{ ref('dim_sources') }}
),

-- the 63 provinces went to 34 on 1 July 2025: a period that ends after it counts a source of
-- an old province for the province that succeeded it (dim_report_areas; a month, the same way)
province_successions as (
    select * from {{ ref('stg_reference__province_successions') }}
),

report_areas as (
    select * from {{ ref('dim_report_areas') }}
),

period_months as (
    select * from {{ ref('int_period_months') }}
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

-- each due month in its own month and in every reporting period that holds it
month_facts as (
    select
        'month' as period_kind,
        strftime(due_months.report_month, '%Y-%m') as period_code,
        due_months.source_code,
        due_months.source_kind,
        due_months.district_code,
        case
            when due_months.report_month >= province_successions.succession_date
                then province_successions.new_province_code
            else sources.province_code
        end as province_code,
        due_months.is_received,
        due_months.is_on_time,
        due_months.is_empty_report,
        due_months.submission_status
    from due_months
    inner join sources
        on due_months.source_code = sources.source_code
    left join province_successions
        on sources.province_code = province_successions.old_province_code
),

period_facts as (
    select
        period_months.period_kind,
        period_months.period_code,
        due_months.source_code,
        due_months.source_kind,
        due_months.district_code,
        report_areas.report_area_code as province_code,
        due_months.is_received,
        due_months.is_on_time,
        due_months.is_empty_report,
        due_months.submission_status
    from due_months
    inner join period_months
        on due_months.report_month = period_months.report_month
    inner join sources
        on due_months.source_code = sources.source_code
    inner join report_areas
        on
            period_months.period_code = report_areas.period_code
            and sources.province_code = report_areas.province_code
),

facts as (
    select * from month_facts
    union all
    select * from period_facts
),

grouped as (
    select
        period_kind,
        period_code,
        province_code,
        case
            when grouping(source_code) = 0 then 'source'
            when grouping(district_code) = 0 then 'district'
            when grouping(source_kind) = 0 then 'source_kind'
            else 'province'
        end as aggregation_level,
        case
            when grouping(source_code) = 0 then source_code
            when grouping(district_code) = 0 then district_code
            when grouping(source_kind) = 0 then source_kind
            else province_code
        end as aggregation_code,
        count(*) as expected_reports,
        count(*) filter (where is_received) as actual_reports,
        count(*) filter (where is_on_time) as reports_on_time,
        count(*) filter (where is_received and not is_on_time) as reports_late,
        count(*) filter (where is_empty_report) as empty_reports,
        count(*) filter (where submission_status = 'rejected') as rejected_only_reports,
        count(*) filter (where not is_received) as not_reported
    from facts
    group by grouping sets (
        (period_kind, period_code, province_code, source_kind, source_code),
        (period_kind, period_code, province_code, district_code),
        (period_kind, period_code, province_code, source_kind),
        (period_kind, period_code, province_code)
    )
),

labelled as (
    select
        grouped.*,
        case grouped.aggregation_level
            when 'source' then source_labels.source_name
            when 'district' then district_labels.district_name
            when 'source_kind' then kind_labels.source_group_label_vi
            else 'Toàn tỉnh'
        end as aggregation_label_vi
    from grouped
    left join sources as source_labels
        on
            grouped.aggregation_level = 'source'
            and grouped.aggregation_code = source_labels.source_code
    left join district_labels
        on
            grouped.aggregation_level = 'district'
            and grouped.aggregation_code = district_labels.district_code
    left join kind_labels
        on
            grouped.aggregation_level = 'source_kind'
            and grouped.aggregation_code = kind_labels.source_kind
    -- district offices only: outlets report for the province, not a district
    where grouped.aggregation_level <> 'district' or grouped.aggregation_code is not null
),

final as (
    select
        period_code || ':' || province_code || ':' || aggregation_level || ':' || aggregation_code
            as reporting_rate_key,
        period_kind,
        period_code,
        province_code,
        aggregation_level,
        aggregation_code,
        aggregation_label_vi,
        expected_reports,
        actual_reports,
        reports_on_time,
        reports_late,
        empty_reports,
        rejected_only_reports,
        not_reported,
        actual_reports / expected_reports as reporting_rate,
        reports_on_time / expected_reports as on_time_rate
    from labelled
)

select * from final
