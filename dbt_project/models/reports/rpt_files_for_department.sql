-- grain: one row per refused file that no source can be asked to fix: a name no registered
-- source can be found in, a file from another source's delivery location, a file the server
-- cannot read, an unforeseen failure; with the reason (its first error) and where it is kept
with

problems as (
    select * from {{ ref('fct_submission_problems') }}
),

sources as (
    select * from {{ ref('dim_sources') }}
),

final as (
    select
        problems.submission_id,
        problems.file_name,
        problems.received_at,
        problems.stored_path,
        problems.problem_code,
        problems.message_vi
    from problems
    where
        problems.submission_status = 'rejected'
        and problems.is_first_error
        and (
            problems.source_code is null
            or problems.source_code not in (select sources.source_code from sources)
            or problems.problem_code in ('wrong_delivery', 'not_readable', 'internal_error')
        )
)

select * from final
