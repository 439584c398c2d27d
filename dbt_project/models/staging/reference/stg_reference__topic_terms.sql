-- grain: one row per topic × term
-- The ref_topic_terms seed as the models read it (the topic_matches macro reads it here): they
-- never ref a seed directly, so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_topic_terms') }}
),

final as (
    select
        topic_code,
        term,
        note
    from source
)

select * from final
