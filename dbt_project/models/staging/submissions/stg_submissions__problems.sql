-- grain: one row per problem ingest found in a file
with

source as (
    select * from {{ source('submissions', 'submission_problems') }}
),

renamed as (
    select
        submission_id || ':' || cast(problem_number as varchar) as problem_id,
        submission_id,
        cast(problem_number as integer) as problem_number,
        severity,
        problem_code,
        cast(row_number as integer) as file_row_number,
        column_name,
        message_vi,
        message_en
    from source
)

select * from renamed
