-- grain: one row per source × month that was due or received: its state, the file that counts
-- (or the last refused one) with the errors to fix, and whom to ask; what `outreach status`
-- and the senders' feedback list
with

completeness as (
    select * from {{ ref('fct_reporting_completeness') }}
    where is_expected or is_received
),

sources as (
    select * from {{ ref('dim_sources') }}
),

versions as (
    select * from {{ ref('fct_submission_versions') }}
),

problems as (
    select * from {{ ref('fct_submission_problems') }}
),

latest_rejected as (
    select
        source_code,
        report_month,
        submission_id,
        file_name
    from versions
    where submission_status = 'rejected' and file_kind = 'monthly'
    qualify row_number() over (
        partition by source_code, report_month
        order by received_at desc
    ) = 1
),

-- the last file of the month received after the approval of its period (not counted yet)
latest_held as (
    select
        source_code,
        report_month,
        file_name,
        approved_period_code
    from versions
    where is_held_by_approval and file_kind = 'monthly'
    qualify row_number() over (
        partition by source_code, report_month
        order by received_at desc
    ) = 1
),

errors as (
    select
        submission_id,
        string_agg(message_vi, ' | ' order by problem_number) as error_messages_vi
    from problems
    where severity = 'error'
    group by submission_id
),

final as (
    select
        completeness.completeness_key as submission_status_key,
        completeness.source_code,
        sources.source_name,
        sources.source_kind,
        sources.source_group_label_vi,
        sources.source_kind_sort_order,
        completeness.report_month,
        completeness.submission_status,
        completeness.is_empty_report,
        completeness.row_count,
        completeness.days_late,
        completeness.due_date,
        completeness.first_received_date,
        completeness.file_name,
        latest_rejected.file_name as rejected_file_name,
        errors.error_messages_vi,
        latest_held.file_name as held_file_name,
        latest_held.approved_period_code as held_by_period_code,
        sources.contact_name,
        sources.contact_email
    from completeness
    inner join sources
        on completeness.source_code = sources.source_code
    left join latest_rejected
        on
            completeness.source_code = latest_rejected.source_code
            and completeness.report_month = latest_rejected.report_month
    left join errors
        on latest_rejected.submission_id = errors.submission_id
    left join latest_held
        on
            completeness.source_code = latest_held.source_code
            and completeness.report_month = latest_held.report_month
)

select * from final
