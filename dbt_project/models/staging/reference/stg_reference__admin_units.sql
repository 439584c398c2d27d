-- grain: one row per commune (or ward) as it was between two dates
-- The ref_admin_units seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_admin_units') }}
),

final as (
    select
        commune_code,
        commune_name,
        commune_type,
        district_code,
        district_name,
        district_type,
        province_code,
        province_name,
        province_type,
        valid_from,
        valid_to,
        catalogue_date
    from source
)

select * from final
