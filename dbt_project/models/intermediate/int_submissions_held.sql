-- grain: one row per accepted file held back by an approval: ingested after the data of the
-- report the department approved (for a period its month belongs to, in the source's
-- province), so not counted until the period is re-opened
with

submissions as (
    select * from {{ ref('stg_submissions__submissions') }}
    where is_accepted
),

sources as (
    select distinct
        source_code,
        province_code
    from {{ ref('stg_reference__sources') }}
),

approvals as (
    select * from {{ ref('stg_submissions__period_approvals') }}
),

-- the months each approval covers: its period's (a quarter, a half-year, a year, a phase)
approval_months as (
    select
        approvals.*,
        period_months.report_month
    from approvals
    inner join {{ ref('int_period_months') }} as period_months
        on approvals.period_code = period_months.period_code
),

final as (
    select distinct
        submissions.submission_id,
        submissions.source_code,
        submissions.report_month,
        submissions.file_kind,
        first_value(approvals.period_code) over (
            partition by submissions.submission_id order by approvals.approved_at
        ) as approved_period_code
    from submissions
    inner join sources
        on submissions.source_code = sources.source_code
    inner join approval_months as approvals
        on
            sources.province_code = approvals.province_code
            and submissions.report_month = approvals.report_month
            -- ingested after the data of the approved report (the last publish before it):
            -- ingest's own clock, which a sender's file time cannot move
            and submissions.ingested_at > approvals.counts_files_until
)

select * from final
