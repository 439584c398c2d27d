-- grain: one row per source in the registry
-- Each source with what its kind says of it: the role its figures are compared by across the
-- 2025 reform (the district offices' work before it with the commune offices' after it, both
-- local offices), and the group the report puts it in.
with

sources as (
    select * from {{ ref('stg_reference__sources') }}
),

kinds as (
    select * from {{ ref('stg_reference__source_kinds') }}
),

final as (
    select
        sources.*,
        case when kinds.is_local_office then 'local_office' else sources.source_kind end
            as source_role,
        kinds.group_label_vi as source_group_label_vi,
        kinds.sort_order as source_kind_sort_order
    from sources
    left join kinds
        on sources.source_kind = kinds.source_kind
)

select * from final
