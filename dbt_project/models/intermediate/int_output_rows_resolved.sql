-- grain: one row per row of the winning monthly file of each source-month
with

resolved as (
    select * from {{ ref('int_submissions_resolved') }}
    where file_kind = 'monthly'
),

output_rows as (
    select * from {{ ref('stg_submissions__output_rows') }}
),

output_types as (
    select * from {{ ref('stg_reference__output_types') }}
),

joined as (
    select
        output_rows.output_row_id,
        output_rows.submission_id,
        output_rows.file_row_number,
        resolved.source_code,
        resolved.report_month,
        resolved.file_name,
        resolved.revision_number,
        output_rows.activity_date,
        output_rows.topic_code,
        output_rows.output_type_code,
        output_types.output_group,
        output_rows.quantity,
        output_rows.commune_code,
        output_rows.people_reached
    from output_rows
    inner join resolved
        on output_rows.submission_id = resolved.submission_id
    inner join output_types
        on output_rows.output_type_code = output_types.output_type_code
)

select * from joined
