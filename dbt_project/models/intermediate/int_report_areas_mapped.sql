-- grain: one row per reporting period × province of the administrative units (the 63 before
-- the 2025 reform and the 34 after; the reform reused codes, so a code may be both)
-- The province whose report a province's sources count in, for a period: itself, or the one it
-- merged into when the period's last month is on or after the merger (1 July 2025). A merged
-- province's report of 2025 or of any later period thus holds the months its predecessors
-- reported, and is compared with the sum of theirs.
with

periods as (
    select * from {{ ref('int_periods_listed') }}
),

units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

provinces as (
    select
        province_code,
        -- the name it had last (a reused code names the province after the reform)
        arg_max(province_name, valid_from) as province_name
    from units
    group by province_code
),

-- the name a code had in each period, in its last month: the reform reused codes (15 was Yên
-- Bái's until June 2025, then the merged Lào Cai's), so a name by code alone is one era's
period_names as (
    select
        periods.period_code,
        units.province_code,
        arg_max(units.province_name, units.valid_from) as province_name
    from periods
    inner join units
        on
            periods.last_month >= units.valid_from
            and periods.last_month <= coalesce(units.valid_to, date '9999-12-31')
    group by periods.period_code, units.province_code
),

successions as (
    select * from {{ ref('stg_reference__province_successions') }}
),

mapped as (
    select
        periods.period_code,
        provinces.province_code,
        coalesce(successions.succession_date <= periods.last_month, false) as is_merged,
        successions.new_province_code,
        provinces.province_name
    from periods
    cross join provinces
    left join successions
        on provinces.province_code = successions.old_province_code
),

final as (
    select
        mapped.period_code || ':' || mapped.province_code as report_area_key,
        mapped.period_code,
        mapped.province_code,
        case
            when mapped.is_merged then mapped.new_province_code else mapped.province_code
        end as report_area_code,
        coalesce(period_names.province_name, report_areas.province_name, mapped.province_name)
            as report_area_name,
        mapped.is_merged and mapped.new_province_code != mapped.province_code
            as is_merged_into_another
    from mapped
    left join provinces as report_areas
        on
            report_areas.province_code
            = case when mapped.is_merged then mapped.new_province_code else mapped.province_code end
    left join period_names
        on
            mapped.period_code = period_names.period_code
            and period_names.province_code
            = case when mapped.is_merged then mapped.new_province_code else mapped.province_code end
)

select * from final
