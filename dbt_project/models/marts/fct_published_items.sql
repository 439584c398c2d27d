-- grain: one row per outlet × published item
-- What outlets published, read from their feeds and sitemaps, with the topics the department's
-- rules find in each item.
with

items as (
    select * from {{ ref('int_published_items_latest') }}
),

topics as (
    select
        published_item_key,
        list(topic_code order by topic_code) as topic_codes,
        string_agg(matched_term, '; ' order by topic_code) as matched_terms
    from {{ ref('int_published_items_topics') }}
    group by published_item_key
),

final as (
    select
        items.published_item_key,
        items.source_code,
        items.item_url,
        items.item_url_key,
        items.title,
        items.summary,
        items.section,
        items.published_at,
        items.published_date,
        items.published_month,
        coalesce(topics.topic_codes, cast([] as varchar[])) as topic_codes,
        topics.matched_terms,
        items.first_seen_at,
        items.last_seen_at
    from items
    left join topics
        on items.published_item_key = topics.published_item_key
)

select * from final
