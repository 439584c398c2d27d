{% macro changed_source_months() %}
    {#- The source-months (as source_code:YYYY-MM) whose winning monthly file is not the one
        {{ this }} was built from: a new month, a correction that replaced its month, or a
        month whose winner has no rows (an empty report). Needs a submission_id column in
        {{ this }}. The nightly run recomputes only these. -#}
    select
        {{ source_month_key() }} as source_month
    from {{ ref('int_submissions_resolved') }}
    where
        file_kind = 'monthly'
        and submission_id not in (select distinct built.submission_id from {{ this }} as built)
    union
    select distinct
        {{ source_month_key() }} as source_month
    from {{ this }}
    where submission_id not in (
        select winners.submission_id from {{ ref('int_submissions_resolved') }} as winners
        where winners.file_kind = 'monthly'
    )
{% endmacro %}

{% macro delete_changed_source_months() %}
    {#- The pre-hook of a model incremental by source-month (with source_code, report_month and
        submission_id columns): on a night, first remove the rows of the source-months it
        recomputes (`changed_source_months`). -#}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ source_month_key() }} in ({{ changed_source_months() }})
    {%- endif -%}
{% endmacro %}
