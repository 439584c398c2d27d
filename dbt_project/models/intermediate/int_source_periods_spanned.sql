-- grain: one row per period × province (its report area) × source with a month in the period
-- Each source once, with the months of the period it was registered for (not only those
-- listed so far) and the period's own first and last months: the groups' spans
-- (fct_source_group_periods) and the provincial outlets' names with their months
-- (rpt_source_groups) are made from these.
with

source_months as (
    select * from {{ ref('int_source_months_assigned') }}
),

periods as (
    select * from {{ ref('int_periods_listed') }}
),

final as (
    select
        source_months.period_code,
        source_months.province_code,
        source_months.source_kind,
        source_months.source_code,
        any_value(source_months.source_name) as source_name,
        any_value(source_months.valid_from) as valid_from,
        cast(greatest(
            any_value(periods.first_month),
            date_trunc('month', any_value(source_months.valid_from))
        ) as date) as first_month,
        cast(least(
            any_value(periods.last_month),
            date_trunc('month', coalesce(any_value(source_months.valid_to), date '9999-12-31'))
        ) as date) as last_month,
        any_value(periods.first_month) as first_period_month,
        any_value(periods.last_month) as last_period_month
    from source_months
    inner join periods
        on source_months.period_code = periods.period_code
    group by
        source_months.period_code, source_months.province_code, source_months.source_kind,
        source_months.source_code
)

select * from final
