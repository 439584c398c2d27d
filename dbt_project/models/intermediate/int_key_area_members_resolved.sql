-- grain: one row per period × key-area commune valid in it (the member), with the key area it
-- counts as in that period
-- A key area of a period that spans the 2025 reform counts as the key area its commune went to,
-- when that one is a key area of the period too: its rows are added to the successor's, its
-- population is not (the successor's is the sum of its predecessors'), so no one is counted
-- twice and a year has one list of key areas.
with

periods as (
    select * from {{ ref('int_periods_listed') }}
),

key_areas as (
    select * from {{ ref('stg_reference__key_area_communes') }}
),

units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

successors as (
    select
        old_commune_code,
        new_commune_code
    from {{ ref('stg_reference__commune_successions') }}
    where is_default_successor
),

key_communes as (
    select
        key_areas.commune_code,
        key_areas.at_risk_population,
        key_areas.valid_from,
        key_areas.valid_to,
        units.district_code,
        units.province_code
    from key_areas
    inner join units
        on
            key_areas.commune_code = units.commune_code
            -- codes were reused by the 2025 reform: the unit valid when the key area is
            and key_areas.valid_from >= units.valid_from
            and (units.valid_to is null or key_areas.valid_from <= units.valid_to)
),

key_areas_in_period as (
    select
        periods.period_code,
        periods.period_start_date,
        periods.period_end_date,
        key_communes.*
    from periods
    inner join key_communes
        on
            periods.period_end_date >= key_communes.valid_from
            and (
                key_communes.valid_to is null or periods.period_start_date <= key_communes.valid_to
            )
),

final as (
    select
        members.period_code,
        members.period_start_date,
        members.period_end_date,
        members.commune_code as member_code,
        members.valid_from as member_valid_from,
        members.valid_to as member_valid_to,
        coalesce(units.commune_code, members.commune_code) as commune_code,
        coalesce(units.valid_from, members.valid_from) as valid_from,
        coalesce(units.at_risk_population, members.at_risk_population) as at_risk_population,
        case
            when units.commune_code is null then members.district_code
            else units.district_code
        end as district_code,
        coalesce(units.province_code, members.province_code) as province_code
    from key_areas_in_period as members
    left join successors
        on members.commune_code = successors.old_commune_code
    left join key_areas_in_period as units
        on
            members.period_code = units.period_code
            and successors.new_commune_code = units.commune_code
            and members.valid_to is not null
            and members.valid_to < units.valid_from
)

select * from final
