-- grain: one row per outlet × feed address × validity
-- The ref_outlet_feeds seed as the models read it: where each outlet publishes (its feeds and
-- sitemaps), from when until when.
with

source as (
    select * from {{ ref('ref_outlet_feeds') }}
),

final as (
    select
        source_code || '|' || feed_url || '|' || cast(valid_from as varchar) as outlet_feed_key,
        source_code,
        feed_url,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        note
    from source
)

select * from final
