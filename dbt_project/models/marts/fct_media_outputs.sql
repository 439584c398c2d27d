-- grain: one row per source × month × topic × output type × commune (commune null where not given)
-- Incremental: a night recomputes only the source-months whose winning file changed (new,
-- corrected, or emptied); the pre-hook first removes what those months had.
-- depends_on: {{ ref('int_submissions_resolved') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_source_months() }}"
) }}

with

output_rows as (
    select * from {{ ref('int_output_rows_resolved') }}
    {% if is_incremental() %}
        where {{ source_month_key() }} in (
            {{ changed_source_months() }}
        )
    {% endif %}
),

sources as (
    select * from {{ ref('stg_reference__sources') }}
),

aggregated as (
    select
        source_code,
        report_month,
        topic_code,
        output_type_code,
        commune_code,
        any_value(output_group) as output_group,
        sum(quantity) as quantity,
        sum(people_reached) as people_reached,
        count(*) as file_row_count,
        any_value(submission_id) as submission_id,
        any_value(file_name) as file_name,
        any_value(revision_number) as revision_number
    from output_rows
    group by source_code, report_month, topic_code, output_type_code, commune_code
),

final as (
    select
        md5(concat_ws(
            '|', aggregated.source_code, strftime(aggregated.report_month, '%Y-%m'),
            aggregated.topic_code, aggregated.output_type_code,
            coalesce(aggregated.commune_code, '')
        )) as media_output_key,
        aggregated.source_code,
        sources.source_kind,
        sources.district_code,
        aggregated.report_month,
        aggregated.topic_code,
        aggregated.output_type_code,
        aggregated.output_group,
        aggregated.commune_code,
        cast(aggregated.quantity as bigint) as quantity,
        cast(aggregated.people_reached as bigint) as people_reached,
        cast(aggregated.file_row_count as integer) as file_row_count,
        aggregated.submission_id,
        aggregated.file_name,
        aggregated.revision_number
    from aggregated
    inner join sources
        on aggregated.source_code = sources.source_code
)

select * from final
