-- grain: one row per output type
with

output_types as (
    select * from {{ ref('stg_reference__output_types') }}
),

final as (
    select
        output_type_code,
        output_type_label_vi,
        output_type_label_en,
        output_group,
        output_group_label_vi,
        unit_label_vi,
        requires_commune,
        requires_people_count,
        sort_order
    from output_types
)

select * from final
