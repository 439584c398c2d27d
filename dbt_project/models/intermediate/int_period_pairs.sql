-- grain: one row per reporting period × period a report of it reads beside its own
-- (comparison kind × compared period)
-- The periods each report reads beside its own: the same period a year earlier, the previous
-- period of its kind and each period of its trend chart. rpt_period_comparisons compares
-- them, and a night recomputes the comparisons of every period paired with one it reaches.
with

periods as (
    select * from {{ ref('int_periods_listed') }}
),

trend_periods as (
    select
        reported.period_code,
        'trend' as comparison_kind,
        trend.period_code as compared_period_code
    from periods as reported
    inner join periods as trend
        on
            reported.trend_kind = trend.period_kind
            and trend.first_month between reported.trend_first_month and reported.last_month
),

final as (
    select
        period_code,
        'same_period' as comparison_kind,
        base_period_code as compared_period_code
    from periods
    where base_period_code is not null
    union all
    select
        period_code,
        'previous_period' as comparison_kind,
        previous_period_code as compared_period_code
    from periods
    where previous_period_code is not null
    union all
    select * from trend_periods
)

select * from final
