-- grain: one row per indicator × period × report area (each province, and the country as 'VN')
-- The country's indicators sum the provinces' numerators and denominators (the indicators are
-- ratios of counts, so the sum is the country's ratio); targets are the programme's, as for one
-- province.
with

province_values as (
    select * from {{ ref('fct_indicator_values') }}
    where area_level = 'province'
),

indicators as (
    select * from {{ ref('dim_indicators') }}
),

periods as (
    select * from {{ ref('dim_periods') }}
),

country_sums as (
    select
        indicator_code,
        programme_code,
        period_code,
        any_value(target_value) as target_value,
        any_value(target_operator) as target_operator,
        bool_or(is_demo_target) as is_demo_target,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from province_values
    group by indicator_code, programme_code, period_code
),

country_values as (
    select
        country_sums.indicator_code,
        country_sums.period_code,
        'VN' as area_code,
        'country' as area_level,
        cast(country_sums.numerator as bigint) as numerator,
        cast(country_sums.denominator as bigint) as denominator,
        {{ indicator_value('country_sums.numerator', 'country_sums.denominator') }}
            as indicator_value,
        country_sums.programme_code,
        country_sums.target_value,
        country_sums.target_operator,
        country_sums.is_demo_target,
        periods.is_closed as is_final,
        {{ indicator_is_met(
            'country_sums.numerator', 'country_sums.denominator', 'country_sums.target_value',
            'country_sums.target_operator', 'periods.is_closed'
        ) }} as is_met
    from country_sums
    inner join periods
        on country_sums.period_code = periods.period_code
),

all_values as (
    select
        indicator_code,
        period_code,
        area_code,
        area_level,
        numerator,
        denominator,
        indicator_value,
        programme_code,
        target_value,
        target_operator,
        is_demo_target,
        is_final,
        is_met
    from province_values
    union all
    select * from country_values
),

final as (
    select
        all_values.indicator_code || ':' || all_values.period_code || ':' || all_values.area_code
            as report_indicator_key,
        all_values.*,
        indicators.indicator_label_vi,
        indicators.report_sentence_vi,
        indicators.sort_order
    from all_values
    left join indicators
        on
            all_values.indicator_code = indicators.indicator_code
            and all_values.programme_code = indicators.programme_code
)

select * from final
