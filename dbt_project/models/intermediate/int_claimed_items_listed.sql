-- grain: one row per row of a winning monthly file whose output type outlets publish online,
-- of an outlet whose site the registry knows
-- What an outlet claims it published (tin, bài; phóng sự; programmes), row by row, with the
-- address it gives (duong_dan) when it gives one. An outlet with no feed in the registry (and
-- every commune office) has nothing to be checked against: its rows are left out here, so the
-- cross-check costs nothing where there is nothing to cross-check.
with

fed_sources as (
    select distinct source_code from {{ ref('stg_reference__outlet_feeds') }}
),

resolved as (
    select * from {{ ref('int_submissions_resolved') }}
    where
        file_kind = 'monthly'
        and source_code in (select fed_sources.source_code from fed_sources)
),

output_rows as (
    select * from {{ ref('stg_submissions__output_rows') }}
),

output_types as (
    select * from {{ ref('stg_reference__output_types') }}
    where checked_online
),

final as (
    select
        output_rows.output_row_id,
        resolved.source_code,
        resolved.report_month,
        resolved.file_name,
        output_rows.file_row_number,
        output_rows.activity_date,
        output_rows.topic_code,
        output_rows.output_type_code,
        output_rows.quantity,
        nullif(trim(output_rows.title), '') as claimed_title,
        nullif(trim(output_rows.url), '') as claimed_url,
        {{ url_key('output_rows.url') }} as claimed_url_key
    from output_rows
    inner join resolved
        on output_rows.submission_id = resolved.submission_id
    inner join output_types
        on output_rows.output_type_code = output_types.output_type_code
)

select * from final
