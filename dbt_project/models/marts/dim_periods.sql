-- grain: one row per reporting period (quarter, half-year, year, programme phase) that overlaps
-- the months listed: from the registry's first month to the as-of month
-- The periods, their months and days are worked out in int_periods_listed, where the models
-- below the marts read them too.
with

periods as (
    select * from {{ ref('int_periods_listed') }}
),

final as (
    select * from periods
)

select * from final
