-- grain: one row per old province
-- The ref_province_succession seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_province_succession') }}
),

final as (
    select
        old_province_code,
        old_province_name,
        new_province_code,
        new_province_name,
        succession_date
    from source
)

select * from final
