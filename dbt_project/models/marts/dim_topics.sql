-- grain: one row per topic
with

topics as (
    select * from {{ ref('stg_reference__topics') }}
),

final as (
    select
        topic_code,
        topic_label_vi,
        topic_label_en,
        sort_order
    from topics
)

select * from final
