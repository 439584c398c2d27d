-- grain: one row per reporting period × province of the administrative units (the 63 before
-- the 2025 reform and the 34 after; the reform reused codes, so a code may be both)
-- Which province a province's sources count in, for a period, is worked out in
-- int_report_areas_mapped, where the models below the marts read it too.
with

report_areas as (
    select * from {{ ref('int_report_areas_mapped') }}
),

final as (
    select * from report_areas
)

select * from final
