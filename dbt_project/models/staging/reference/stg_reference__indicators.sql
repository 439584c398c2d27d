-- grain: one row per indicator × programme
-- The ref_indicators seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_indicators') }}
),

final as (
    select
        indicator_code,
        programme_code,
        programme_label_vi,
        valid_from,
        valid_to,
        indicator_label_vi,
        report_sentence_vi,
        target_value,
        target_operator,
        sort_order,
        is_demo_value
    from source
)

select * from final
