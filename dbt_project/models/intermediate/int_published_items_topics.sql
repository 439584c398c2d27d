-- grain: one row per published item × topic its title or summary speaks of
-- The department's topic rules (ref_topic_terms) applied to what outlets published.
with

items as (
    select * from {{ ref('int_published_items_latest') }}
),

matches as (
    {{ topic_matches('items', 'published_item_key', ['title', 'summary']) }}
)

select
    published_item_key || '|' || topic_code as published_item_topic_key,
    published_item_key,
    topic_code,
    matched_term
from matches
