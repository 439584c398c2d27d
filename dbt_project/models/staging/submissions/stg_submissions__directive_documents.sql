-- grain: one row per row of an accepted VANBAN_ file
with

source as (
    select * from {{ source('submissions', 'directive_documents') }}
),

renamed as (
    select
        submission_id || ':' || cast(row_number as varchar) as directive_row_id,
        submission_id,
        cast(row_number as integer) as file_row_number,
        trim(document_number) as document_number,
        cast(issued_date as date) as issued_date,
        trim(summary) as document_summary,
        lower(topic_code) as topic_code
    from source
)

select * from renamed
