-- grain: one row per administrative unit (province, district or commune) and validity: the 2025
-- reform gave the new communes codes of old ones, so a code names a unit only with its dates
with

units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

key_areas as (
    select * from {{ ref('stg_reference__key_area_communes') }}
),

communes as (
    select
        'commune:' || units.commune_code || ':' || units.valid_from as area_key,
        units.commune_code as area_code,
        'commune' as area_level,
        units.commune_name as area_name,
        units.district_code as parent_area_code,
        units.province_code,
        units.district_code,
        units.valid_from,
        units.valid_to,
        key_areas.commune_code is not null as is_key_area,
        key_areas.at_risk_population,
        coalesce(key_areas.is_demo_value, false) as is_demo_value
    from units
    left join key_areas
        on
            units.commune_code = key_areas.commune_code
            and key_areas.valid_from <= coalesce(units.valid_to, date '9999-12-31')
            and coalesce(key_areas.valid_to, date '9999-12-31') >= units.valid_from
),

districts as (
    select
        'district:' || district_code as area_key,
        district_code as area_code,
        'district' as area_level,
        any_value(district_name) as area_name,
        any_value(province_code) as parent_area_code,
        any_value(province_code) as province_code,
        district_code,
        min(valid_from) as valid_from,
        max(valid_to) as valid_to,
        false as is_key_area,
        cast(null as integer) as at_risk_population,
        false as is_demo_value
    from units
    where district_code is not null
    group by district_code
),

provinces as (
    select
        'province:' || province_code as area_key,
        province_code as area_code,
        'province' as area_level,
        any_value(province_name) as area_name,
        cast(null as varchar) as parent_area_code,
        province_code,
        cast(null as varchar) as district_code,
        min(valid_from) as valid_from,
        cast(null as date) as valid_to,
        false as is_key_area,
        cast(null as integer) as at_risk_population,
        false as is_demo_value
    from units
    group by province_code
),

final as (
    select * from provinces
    union all
    select * from districts
    union all
    select * from communes
)

select * from final
