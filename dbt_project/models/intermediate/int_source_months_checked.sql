-- grain: one row per source × month that is expected (registry) or was received
-- reads the as-of date: re-created each night it moves (outreach.orchestration.dbt_selection)
-- a table, not a view: the fact, two intermediate models and their tests read it (a view would
-- work its months out again for each; at the national scale it made the build a third longer)
{{ config(materialized='table', tags=['as_of_date']) }}

with

expected as (
    select * from {{ ref('int_expected_reports_listed') }}
),

resolved as (
    select * from {{ ref('int_submissions_resolved') }}
    where file_kind = 'monthly'
),

rejected as (
    select
        source_code,
        report_month,
        count(*) as rejected_file_count
    from {{ ref('stg_submissions__submissions') }}
    where not is_accepted and file_kind = 'monthly'
    group by source_code, report_month
),

trafficking as (
    select
        source_code,
        report_month,
        sum(quantity) filter (where output_group = 'media') as trafficking_media_item_count,
        sum(quantity) filter (
            where output_group = 'grassroots'
        ) as trafficking_grassroots_activity_count,
        sum(quantity) as trafficking_output_count
    from {{ ref('int_output_rows_resolved') }}
    where topic_code = 'mua_ban_nguoi'
    group by source_code, report_month
),

sources as (
    select * from {{ ref('stg_reference__sources') }}
),

kinds as (
    select * from {{ ref('stg_reference__source_kinds') }}
),

source_months as (
    select
        source_code,
        report_month
    from expected
    union
    select
        source_code,
        report_month
    from resolved
),

joined as (
    select
        source_months.source_code,
        source_months.report_month,
        sources.source_kind,
        kinds.is_local_office,
        sources.district_code,
        coalesce(expected.is_expected, false) as is_expected,
        {{ due_date('source_months.report_month') }} as due_date,
        resolved.submission_id,
        resolved.file_name,
        resolved.revision_number,
        resolved.accepted_version_count,
        resolved.row_count,
        resolved.first_received_at,
        resolved.first_received_date,
        coalesce(rejected.rejected_file_count, 0) as rejected_file_count,
        coalesce(trafficking.trafficking_media_item_count, 0) as trafficking_media_item_count,
        coalesce(trafficking.trafficking_grassroots_activity_count, 0)
            as trafficking_grassroots_activity_count,
        coalesce(trafficking.trafficking_output_count, 0) as trafficking_output_count
    from source_months
    inner join sources
        on source_months.source_code = sources.source_code
    inner join kinds
        on sources.source_kind = kinds.source_kind
    left join expected
        on
            source_months.source_code = expected.source_code
            and source_months.report_month = expected.report_month
    left join resolved
        on
            source_months.source_code = resolved.source_code
            and source_months.report_month = resolved.report_month
    left join rejected
        on
            source_months.source_code = rejected.source_code
            and source_months.report_month = rejected.report_month
    left join trafficking
        on
            source_months.source_code = trafficking.source_code
            and source_months.report_month = trafficking.report_month
),

final as (
    select
        {{ source_month_key() }} as completeness_key,
        source_code,
        source_kind,
        district_code,
        report_month,
        due_date,
        is_expected,
        submission_id is not null as is_received,
        coalesce(submission_id is not null and row_count = 0, false) as is_empty_report,
        coalesce(first_received_date <= due_date, false) as is_on_time,
        coalesce(first_received_date > due_date, false) as is_late,
        case
            when first_received_date > due_date
                then cast(first_received_date - due_date as integer)
        end as days_late,
        case
            when submission_id is not null and first_received_date <= due_date then 'on_time'
            when submission_id is not null then 'late'
            when rejected_file_count > 0 then 'rejected'
            when {{ as_of_date() }} <= due_date then 'not_yet_due'
            else 'missing'
        end as submission_status,
        rejected_file_count,
        submission_id,
        file_name,
        revision_number,
        accepted_version_count,
        row_count,
        first_received_at,
        first_received_date,
        source_kind = 'outlet_provincial' as requires_monthly_trafficking_item,
        cast(trafficking_media_item_count as bigint) as trafficking_media_item_count,
        trafficking_media_item_count > 0 as has_trafficking_media_item,
        -- the local offices: the districts' until June 2025, the communes' after
        is_local_office as requires_monthly_grassroots_activity,
        cast(trafficking_grassroots_activity_count as bigint)
            as trafficking_grassroots_activity_count,
        trafficking_grassroots_activity_count > 0 as has_trafficking_grassroots_activity,
        cast(trafficking_output_count as bigint) as trafficking_output_count
    from joined
)

select * from final
