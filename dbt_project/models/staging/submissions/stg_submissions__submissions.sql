-- grain: one row per distinct file received (sha-256), accepted or rejected
with

source as (
    select * from {{ source('submissions', 'submission_manifest') }}
),

renamed as (
    select
        submission_id,
        content_sha256,
        file_name,
        file_kind,
        source_code,
        cast(report_month as date) as report_month,
        cast(revision as integer) as revision_number,
        file_format,
        cast(file_size_bytes as bigint) as file_byte_count,
        cast(received_at as timestamptz) as received_at,
        cast(timezone('Asia/Ho_Chi_Minh', received_at) as date) as received_date,
        cast(ingested_at as timestamptz) as ingested_at,
        status as submission_status,
        status = 'accepted' as is_accepted,
        cast(error_count as integer) as error_count,
        cast(warning_count as integer) as warning_count,
        cast(row_count as integer) as row_count,
        text_encoding,
        sheet_name,
        header_row,
        stored_path,
        error_report_path
    from source
)

select * from renamed
