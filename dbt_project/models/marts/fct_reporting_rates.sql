-- grain: one row per period (month, quarter, half-year, year, phase) × province (its report
-- area: dim_report_areas) × aggregation (source, district, source kind, the province itself),
-- over the source-months due by the as-of date
-- reads the as-of date: built again each night it moves (outreach.orchestration.dbt_selection)
-- Incremental by period: a night recomputes the periods (and the months) its months fall in.
{{ incremental_by_period('reached_periods(months_too=true)', tags=['as_of_date']) }}

-- depends_on: {{ ref('int_period_months') }}
with

expected_reports as (
    select * from {{ ref('int_expected_reports_assigned') }}
    {% if narrowed_to_periods() %}
        where period_code in (
            {{ reached_periods(months_too=true) }}
        )
    {% endif %}
),

due_reports as (
    select * from expected_reports
    -- due by the as-of date: a month still in its grace period counts for no one yet, not even
    -- when its file came early (DHIS2 counts a period once it can be late)
    where due_date < {{ as_of_date() }}
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
    from due_reports
    group by grouping sets (
        (period_kind, period_code, province_code, source_kind, source_code),
        (period_kind, period_code, province_code, district_code),
        (period_kind, period_code, province_code, source_kind),
        (period_kind, period_code, province_code)
    )
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
        expected_reports,
        actual_reports,
        reports_on_time,
        reports_late,
        empty_reports,
        rejected_only_reports,
        not_reported,
        actual_reports / expected_reports as reporting_rate,
        reports_on_time / expected_reports as on_time_rate
    from grouped
    -- district offices only: outlets report for the province, not a district
    where aggregation_level <> 'district' or aggregation_code is not null
)

select * from final
