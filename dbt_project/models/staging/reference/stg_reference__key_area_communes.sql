-- grain: one row per key-area commune and its validity
-- The ref_key_area_communes seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_key_area_communes') }}
),

final as (
    select
        commune_code,
        commune_name,
        at_risk_population,
        valid_from,
        valid_to,
        is_demo_value,
        derived_from
    from source
)

select * from final
