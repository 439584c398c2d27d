-- grain: one row per province × approved period
-- The months an approval covers are the period's (int_submissions_held puts them in, from the
-- reporting calendar's periods): staging only renames and casts.
with

source as (
    select * from {{ source('submissions', 'period_approvals') }}
),

final as (
    select
        province_code || ':' || period_code as period_approval_key,
        province_code,
        period_code,
        cast(approved_at as timestamptz) as approved_at,
        approved_by,
        cast(coalesce(counts_files_until, approved_at) as timestamptz) as counts_files_until
    from source
)

select * from final
