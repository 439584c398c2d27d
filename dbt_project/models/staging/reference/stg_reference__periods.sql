-- grain: one row per reporting period of the calendar (quarter, half-year, year, phase)
-- The ref_periods seed as the models read it: they never ref a seed directly, so a change of the
-- seed's columns is absorbed here. The seed is written from outreach/core/periods.py.
with

source as (
    select * from {{ ref('ref_periods') }}
),

final as (
    select
        period_code,
        period_kind,
        first_month,
        last_month,
        month_count,
        period_label_vi,
        nullif(base_period_code, '') as base_period_code,
        nullif(previous_period_code, '') as previous_period_code,
        trend_kind,
        trend_first_month
    from source
)

select * from final
