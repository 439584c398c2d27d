-- grain: one row per old commune × new commune it went (wholly or partly) to
-- The ref_commune_succession seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_commune_succession') }}
),

final as (
    select
        old_commune_code,
        old_commune_name,
        old_district_code,
        old_province_code,
        new_commune_code,
        new_commune_name,
        new_province_code,
        is_split,
        is_default_successor
    from source
)

select * from final
