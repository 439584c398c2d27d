-- grain: one row per problem ingest found in a file (errors refuse the file, warnings do not)
with

problems as (
    select * from {{ ref('stg_submissions__problems') }}
),

submissions as (
    select * from {{ ref('stg_submissions__submissions') }}
),

numbered as (
    select
        problems.*,
        -- the first error is the reason a refusal is listed by
        problems.severity = 'error'
        and problems.problem_number = min(
            case when problems.severity = 'error' then problems.problem_number end
        ) over (partition by problems.submission_id) as is_first_error
    from problems
),

final as (
    select
        numbered.problem_id,
        numbered.submission_id,
        numbered.problem_number,
        numbered.severity,
        numbered.problem_code,
        numbered.file_row_number,
        numbered.column_name,
        numbered.message_vi,
        numbered.message_en,
        numbered.is_first_error,
        submissions.file_name,
        submissions.file_kind,
        submissions.source_code,
        submissions.report_month,
        submissions.received_at,
        submissions.received_date,
        submissions.submission_status,
        submissions.stored_path
    from numbered
    inner join submissions
        on numbered.submission_id = submissions.submission_id
)

select * from final
