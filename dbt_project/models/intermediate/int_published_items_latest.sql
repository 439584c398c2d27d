-- grain: one row per outlet × published item (its address's key)
-- What the outlet's successful reads listed, as the latest read of each item says it (a title
-- corrected on the site replaces the old one), with when it was first and last seen.
with

reads as (
    select * from {{ ref('stg_published__reads') }}
    where outcome = 'ok'
),

items as (
    select * from {{ ref('stg_published__items') }}
),

seen as (
    select
        items.*,
        reads.finished_at as read_at,
        row_number() over (
            partition by items.source_code, items.item_url_key
            order by reads.finished_at desc, items.read_id desc, items.item_number asc
        ) as recency,
        min(reads.finished_at) over (
            partition by items.source_code, items.item_url_key
        ) as first_seen_at,
        count(*) over (partition by items.source_code, items.item_url_key) as listing_count
    from items
    inner join reads
        on items.read_id = reads.read_id
),

final as (
    select
        source_code || '|' || item_url_key as published_item_key,
        source_code,
        item_url_key,
        item_url,
        title,
        summary,
        section,
        published_at,
        published_date,
        case when published_date is not null then {{ report_month_of('published_date') }} end
            as published_month,
        first_seen_at,
        read_at as last_seen_at,
        cast(listing_count as integer) as listing_count
    from seen
    where recency = 1
)

select * from final
