-- grain: one row per indicator × period × area (the province, and districts for I1 and I3)
-- Definitions: docs/domain.md, "The four indicators"; targets come from the programme valid at
-- period end.
with

periods as (
    select * from {{ ref('dim_periods') }}
),

key_area_periods as (
    select * from {{ ref('int_key_area_periods_counted') }}
),

outlet_periods as (
    select * from {{ ref('int_outlet_periods_trained') }}
),

completeness as (
    select * from {{ ref('fct_reporting_completeness') }}
),

sources as (
    select * from {{ ref('stg_reference__sources') }}
),

targets as (
    select * from {{ ref('dim_indicators') }}
),

-- the province, and each district while there were districts (key areas after the reform have
-- none: they count for the province only)
communes_counselled as (
    select
        'I1_communes_counselled' as indicator_code,
        period_code,
        coalesce(district_code, province_code) as area_code,
        case when grouping(district_code) = 0 then 'district' else 'province' end as area_level,
        count(*) filter (where was_counselled) as numerator,
        count(*) as denominator
    from key_area_periods
    group by
        grouping sets ((period_code, province_code), (period_code, province_code, district_code))
    having grouping(district_code) = 1 or district_code is not null
),

people_reached as (
    select
        'I3_people_reached' as indicator_code,
        period_code,
        coalesce(district_code, province_code) as area_code,
        case when grouping(district_code) = 0 then 'district' else 'province' end as area_level,
        sum(people_reached_capped) as numerator,
        sum(at_risk_population) as denominator
    from key_area_periods
    group by
        grouping sets ((period_code, province_code), (period_code, province_code, district_code))
    having grouping(district_code) = 1 or district_code is not null
),

monthly_posting as (
    select
        'I2_monthly_posting' as indicator_code,
        periods.period_code,
        sources.province_code as area_code,
        'province' as area_level,
        count(*) filter (where completeness.has_trafficking_media_item) as numerator,
        count(*) as denominator
    from completeness
    inner join periods
        on completeness.report_month between periods.period_start_date and periods.period_end_date
    inner join sources
        on completeness.source_code = sources.source_code
    where
        completeness.requires_monthly_trafficking_item
        and completeness.is_expected
        -- a month whose file may still come on time is not counted yet
        and completeness.submission_status != 'not_yet_due'
    group by periods.period_code, sources.province_code
),

reporters_trained as (
    select
        'I4_reporters_trained' as indicator_code,
        period_code,
        province_code as area_code,
        'province' as area_level,
        sum(least(reporters_trained, reporters_on_beat)) as numerator,
        sum(reporters_on_beat) as denominator
    from outlet_periods
    group by period_code, province_code
),

all_values as (
    select * from communes_counselled
    union all
    select * from monthly_posting
    union all
    select * from people_reached
    union all
    select * from reporters_trained
),

final as (
    select
        all_values.indicator_code || ':' || all_values.period_code || ':' || all_values.area_code
            as indicator_value_key,
        all_values.indicator_code,
        all_values.period_code,
        all_values.area_code,
        all_values.area_level,
        cast(all_values.numerator as bigint) as numerator,
        cast(all_values.denominator as bigint) as denominator,
        {{ indicator_value('all_values.numerator', 'all_values.denominator') }}
            as indicator_value,
        targets.programme_code,
        targets.target_value,
        targets.target_operator,
        coalesce(targets.is_demo_target, false) as is_demo_target,
        -- every month of the period was due before the as-of date: the value will not move
        -- (but for late corrections); before that it is the value so far, and nothing is met
        periods.is_closed as is_final,
        {{ indicator_is_met(
            'all_values.numerator', 'all_values.denominator', 'targets.target_value',
            'targets.target_operator', 'periods.is_closed'
        ) }} as is_met
    from all_values
    inner join periods
        on all_values.period_code = periods.period_code
    left join targets
        on
            all_values.indicator_code = targets.indicator_code
            and periods.period_end_date between targets.valid_from and targets.valid_to
)

select * from final
