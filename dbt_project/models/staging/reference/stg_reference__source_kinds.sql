-- grain: one row per kind of source
-- The ref_source_kinds seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_source_kinds') }}
),

final as (
    select
        source_kind,
        group_label_vi,
        result_lead_vi,
        is_local_office,
        sort_order
    from source
)

select * from final
