-- grain: one row per outlet × reporting month it has a feed in and claims or published items
-- Whether what was read of the outlet's feeds vouches for every day its monthly file covers: a
-- read vouches for the days from its oldest item to the day it was read, so a sitemap read once
-- covers its whole archive, and a feed of the latest items covers a month when it was read
-- often enough. A claimed item not found is a finding only in a month covered.
with

feeds as (
    select * from {{ ref('stg_reference__outlet_feeds') }}
),

reads as (
    select * from {{ ref('stg_published__reads') }}
),

months as (
    select
        source_code,
        report_month
    from {{ ref('int_claimed_items_listed') }}
    union
    select
        source_code,
        published_month
    from {{ ref('int_published_items_latest') }}
    where published_month is not null
),

fed_months as (
    select distinct
        months.source_code,
        months.report_month
    from months
    inner join feeds
        on
            months.source_code = feeds.source_code
            and months.report_month >= date_trunc('month', feeds.valid_from)
            and (feeds.valid_to is null or months.report_month <= feeds.valid_to)
),

days as (
    select
        source_code,
        report_month,
        cast(unnest(generate_series(
            cast({{ month_window_start('report_month') }} as timestamp),
            cast({{ month_window_end('report_month') }} as timestamp),
            interval 1 day
        )) as date) as covered_day
    from fed_months
),

day_reads as (
    select
        days.source_code,
        days.report_month,
        days.covered_day,
        count(reads.read_id) > 0 as is_vouched
    from days
    left join reads
        on
            days.source_code = reads.source_code
            and days.covered_day between reads.covers_from and reads.covers_to
    group by days.source_code, days.report_month, days.covered_day
),

month_days as (
    select
        source_code,
        report_month,
        count(*) as day_count,
        count(*) filter (where is_vouched) as vouched_day_count
    from day_reads
    group by source_code, report_month
),

month_reads as (
    select
        fed_months.source_code,
        fed_months.report_month,
        count(reads.read_id) as read_count,
        count(reads.read_id) filter (where reads.outcome = 'ok') as ok_read_count,
        max(reads.finished_at) as last_read_at,
        arg_max(reads.outcome, reads.finished_at) as last_outcome,
        arg_max(reads.error_en, reads.finished_at) as last_error_en
    from fed_months
    left join reads
        on fed_months.source_code = reads.source_code
        -- the reads that could speak of the month: those made after it began
        and cast(timezone('Asia/Ho_Chi_Minh', reads.finished_at) as date)
        >= {{ month_window_start('fed_months.report_month') }}
    group by fed_months.source_code, fed_months.report_month
),

final as (
    select
        {{ source_month_key(prefix='month_days.') }} as published_month_key,
        month_days.source_code,
        month_days.report_month,
        cast(month_days.day_count as integer) as day_count,
        cast(month_days.vouched_day_count as integer) as vouched_day_count,
        month_days.vouched_day_count = month_days.day_count as is_covered,
        cast(month_reads.read_count as integer) as read_count,
        cast(month_reads.ok_read_count as integer) as ok_read_count,
        month_reads.last_read_at,
        month_reads.last_outcome,
        month_reads.last_error_en
    from month_days
    inner join month_reads
        on
            month_days.source_code = month_reads.source_code
            and month_days.report_month = month_reads.report_month
)

select * from final
