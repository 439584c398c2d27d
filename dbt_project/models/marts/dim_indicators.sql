-- grain: one row per indicator × programme period (targets are versioned by programme)
with

indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

final as (
    select
        indicator_code || ':' || programme_code as indicator_target_key,
        indicator_code,
        programme_code,
        programme_label_vi,
        valid_from,
        valid_to,
        indicator_label_vi,
        report_sentence_vi,
        target_value,
        target_operator,
        -- a target the department has not set yet (the demo's): the report says so
        coalesce(is_demo_value, false) as is_demo_target,
        sort_order
    from indicators
)

select * from final
