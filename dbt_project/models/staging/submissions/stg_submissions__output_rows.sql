-- grain: one row per row of an accepted monthly file
with

source as (
    select * from {{ source('submissions', 'submission_rows') }}
),

renamed as (
    select
        submission_id || ':' || cast(row_number as varchar) as output_row_id,
        submission_id,
        cast(row_number as integer) as file_row_number,
        cast(activity_date as date) as activity_date,
        lower(topic_code) as topic_code,
        lower(output_type_code) as output_type_code,
        cast(quantity as bigint) as quantity,
        nullif(trim(commune_code), '') as commune_code,
        cast(people_reached as bigint) as people_reached,
        title,
        url,
        note
    from source
)

select * from renamed
