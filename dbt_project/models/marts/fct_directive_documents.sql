-- grain: one row per directive document listed in the winning VANBAN_ file of a source-month
with

resolved as (
    select * from {{ ref('int_submissions_resolved') }}
    where file_kind = 'directives'
),

documents as (
    select * from {{ ref('stg_submissions__directive_documents') }}
),

final as (
    select
        documents.directive_row_id as directive_document_key,
        resolved.source_code,
        resolved.report_month,
        documents.document_number,
        documents.issued_date,
        documents.document_summary,
        documents.topic_code,
        resolved.submission_id,
        resolved.file_name,
        resolved.revision_number,
        documents.file_row_number
    from documents
    inner join resolved
        on documents.submission_id = resolved.submission_id
)

select * from final
