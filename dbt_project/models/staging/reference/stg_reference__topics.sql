-- grain: one row per topic
-- The ref_topics seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_topics') }}
),

final as (
    select
        topic_code,
        topic_label_vi,
        topic_label_en,
        topic_aliases,
        sort_order
    from source
)

select * from final
