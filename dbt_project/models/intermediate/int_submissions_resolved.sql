-- grain: one row per source × report month × file kind with at least one accepted file
-- The highest revision wins; an older revision that arrives later does not, nor a file held
-- back by the approval of a period (int_submissions_held). Timeliness is
-- judged on the first accepted version, so a later correction does not make a month late.
with

submissions as (
    select * from {{ ref('stg_submissions__submissions') }}
),

held as (
    select * from {{ ref('int_submissions_held') }}
),

-- a file received after the approval of a period of its month does not count (yet)
accepted as (
    select * from submissions
    where
        is_accepted
        and submission_id not in (select held.submission_id from held)
),

ranked as (
    select
        *,
        row_number() over (
            partition by source_code, report_month, file_kind
            order by revision_number desc, received_at desc, submission_id asc
        ) as version_rank,
        count(*) over (partition by source_code, report_month, file_kind)
            as accepted_version_count,
        min(received_at) over (partition by source_code, report_month, file_kind)
            as first_received_at,
        min(received_date) over (partition by source_code, report_month, file_kind)
            as first_received_date
    from accepted
),

final as (
    select
        {{ source_month_key() }} || ':' || file_kind
            as resolved_submission_key,
        source_code,
        report_month,
        file_kind,
        submission_id,
        file_name,
        revision_number,
        received_at,
        row_count,
        accepted_version_count,
        first_received_at,
        first_received_date
    from ranked
    where version_rank = 1
)

select * from final
