-- grain: one row per file received (every version of every source-month, accepted or not)
with

submissions as (
    select * from {{ ref('stg_submissions__submissions') }}
),

resolved as (
    select * from {{ ref('int_submissions_resolved') }}
),

held as (
    select * from {{ ref('int_submissions_held') }}
),

output_rows as (
    select * from {{ ref('stg_submissions__output_rows') }}
),

totals as (
    select
        submission_id,
        sum(quantity) as total_quantity,
        sum(people_reached) as total_people_reached
    from output_rows
    group by submission_id
),

versions as (
    select
        submissions.*,
        row_number() over (
            partition by submissions.source_code, submissions.report_month, submissions.file_kind
            order by submissions.received_at, submissions.submission_id
        ) as arrival_order
    from submissions
),

final as (
    select
        versions.submission_id,
        versions.content_sha256,
        versions.file_name,
        versions.file_kind,
        versions.source_code,
        versions.report_month,
        versions.revision_number,
        versions.arrival_order,
        versions.received_at,
        versions.received_date,
        versions.ingested_at,
        versions.submission_status,
        versions.error_count,
        versions.warning_count,
        versions.row_count,
        cast(totals.total_quantity as bigint) as total_quantity,
        cast(totals.total_people_reached as bigint) as total_people_reached,
        resolved.submission_id is not null as is_current,
        -- received after the department approved a period of its month: kept, not counted
        held.submission_id is not null as is_held_by_approval,
        held.approved_period_code,
        case
            when versions.is_accepted and resolved.submission_id is null
                then resolved_for_month.submission_id
        end as superseded_by_submission_id,
        versions.stored_path,
        versions.error_report_path
    from versions
    left join totals
        on versions.submission_id = totals.submission_id
    left join resolved
        on versions.submission_id = resolved.submission_id
    left join held
        on versions.submission_id = held.submission_id
    left join resolved as resolved_for_month
        on
            versions.source_code = resolved_for_month.source_code
            and versions.report_month = resolved_for_month.report_month
            and versions.file_kind = resolved_for_month.file_kind
)

select * from final
