-- grain: one row per indicator × period × report area (each province as it was in the period,
-- dim_report_areas, and the country as 'VN')
-- The indicators are ratios of counts, so an area's value sums its parts' numerators and
-- denominators: the country's the provinces', a province merged in 2025 its predecessors'
-- (in a period that ends after the merger). Targets are the programme's valid in the period.
with

province_values as (
    select * from {{ ref('fct_indicator_values') }}
    where area_level = 'province'
),

report_areas as (
    select * from {{ ref('dim_report_areas') }}
),

indicators as (
    select * from {{ ref('dim_indicators') }}
),

periods as (
    select * from {{ ref('dim_periods') }}
),

area_parts as (
    select
        province_values.*,
        coalesce(report_areas.report_area_code, province_values.area_code) as report_area_code
    from province_values
    left join report_areas
        on
            province_values.period_code = report_areas.period_code
            and province_values.area_code = report_areas.province_code
),

sums as (
    select
        indicator_code,
        programme_code,
        period_code,
        case when grouping(report_area_code) = 0 then report_area_code else 'VN' end
            as area_code,
        case when grouping(report_area_code) = 0 then 'province' else 'country' end
            as area_level,
        any_value(target_value) as target_value,
        any_value(target_operator) as target_operator,
        bool_or(is_demo_target) as is_demo_target,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from area_parts
    group by grouping sets (
        (indicator_code, programme_code, period_code, report_area_code),
        (indicator_code, programme_code, period_code)
    )
),

all_values as (
    select
        sums.indicator_code,
        sums.period_code,
        sums.area_code,
        sums.area_level,
        cast(sums.numerator as bigint) as numerator,
        cast(sums.denominator as bigint) as denominator,
        {{ indicator_value('sums.numerator', 'sums.denominator') }} as indicator_value,
        sums.programme_code,
        sums.target_value,
        sums.target_operator,
        sums.is_demo_target,
        periods.is_closed as is_final,
        {{ indicator_is_met(
            'sums.numerator', 'sums.denominator', 'sums.target_value',
            'sums.target_operator', 'periods.is_closed'
        ) }} as is_met
    from sums
    inner join periods
        on sums.period_code = periods.period_code
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
