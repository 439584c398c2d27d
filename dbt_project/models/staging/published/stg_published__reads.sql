-- grain: one row per read of an outlet's feed or sitemap
with

source as (
    select * from {{ source('published', 'published_reads') }}
),

final as (
    select
        read_id,
        source_code,
        feed_url,
        fetched_url,
        cast(started_at as timestamptz) as started_at,
        cast(finished_at as timestamptz) as finished_at,
        outcome,
        http_status,
        error_en,
        cast(item_count as integer) as item_count,
        cast(byte_count as bigint) as byte_count,
        cast(oldest_item_at as timestamptz) as oldest_item_at,
        cast(newest_item_at as timestamptz) as newest_item_at,
        feed_kind,
        -- the days the read vouches for, until the day it was read (local days): a feed lists
        -- its latest items, so from its oldest one; a sitemap lists the whole site (a sitemap
        -- index: the months it was read for), so from the first day its oldest item's monthly
        -- file covers. A read that failed, or listed no dated item, vouches for none
        case
            when outcome <> 'ok' or oldest_item_at is null then null
            when feed_kind in ('sitemap', 'sitemap index')
                then {{ month_window_start(report_month_of(
                    "cast(timezone('Asia/Ho_Chi_Minh', cast(oldest_item_at as timestamptz)) as date)"
                )) }}
            else cast(timezone('Asia/Ho_Chi_Minh', cast(oldest_item_at as timestamptz)) as date)
        end as covers_from,
        case
            when outcome = 'ok' and oldest_item_at is not null
                then cast(timezone('Asia/Ho_Chi_Minh', cast(finished_at as timestamptz)) as date)
        end as covers_to
    from source
)

select * from final
