-- grain: one row per output type
-- The ref_output_types seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_output_types') }}
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
        coalesce(checked_online, false) as checked_online,
        output_type_aliases,
        sort_order
    from source
)

select * from final
