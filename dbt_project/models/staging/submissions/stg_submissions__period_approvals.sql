-- grain: one row per province × approved period, with the months the period covers
with

source as (
    select * from {{ source('submissions', 'period_approvals') }}
),

months as (
    select
        province_code,
        period_code,
        cast(approved_at as timestamptz) as approved_at,
        approved_by,
        cast(coalesce(counts_files_until, approved_at) as timestamptz) as counts_files_until,
        cast(left(period_code, 4) as integer) as period_year,
        case
            when period_code like '%-H2' then 7
            when period_code like '____-__' and period_code not like '%-H_'
                then cast(right(period_code, 2) as integer)
            else 1
        end as first_month_number,
        case
            when period_code like '%-H1' then 6
            when period_code like '____-__' and period_code not like '%-H_'
                then cast(right(period_code, 2) as integer)
            else 12
        end as last_month_number
    from source
),

final as (
    select
        province_code || ':' || period_code as period_approval_key,
        province_code,
        period_code,
        approved_at,
        approved_by,
        counts_files_until,
        make_date(period_year, first_month_number, 1) as period_start_date,
        last_day(make_date(period_year, last_month_number, 1)) as period_end_date
    from months
)

select * from final
