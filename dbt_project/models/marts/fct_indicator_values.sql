-- grain: one row per indicator × period × area (the province, and districts for I1 and I3)
-- Definitions: DOMAIN.md, "Indicators"; targets come from the programme valid at period end.
with

periods as (
    select * from {{ ref('dim_periods') }}
),

output_rows as (
    select * from {{ ref('int_output_rows_resolved') }}
),

completeness as (
    select * from {{ ref('fct_reporting_completeness') }}
),

sources as (
    select * from {{ ref('ref_sources') }}
),

key_communes as (
    select
        key_areas.commune_code,
        key_areas.at_risk_population,
        key_areas.valid_from,
        key_areas.valid_to,
        units.district_code,
        units.province_code
    from {{ ref('ref_key_area_communes') }} as key_areas
    inner join {{ ref('ref_admin_units') }} as units
        on key_areas.commune_code = units.commune_code
),

targets as (
    select * from {{ ref('dim_indicators') }}
),

commune_activity as (
    select
        periods.period_code,
        output_rows.commune_code,
        bool_or(output_rows.output_type_code = 'tu_van') as was_counselled,
        sum(output_rows.people_reached) filter (
            where output_rows.topic_code = 'mua_ban_nguoi'
            and output_rows.output_group = 'grassroots'
        ) as people_reached_on_trafficking
    from output_rows
    inner join periods
        on output_rows.report_month between periods.period_start_date and periods.period_end_date
    where output_rows.commune_code is not null
    group by periods.period_code, output_rows.commune_code
),

key_commune_periods as (
    select
        periods.period_code,
        key_communes.province_code,
        key_communes.district_code,
        key_communes.commune_code,
        key_communes.at_risk_population,
        coalesce(commune_activity.was_counselled, false) as was_counselled,
        least(
            coalesce(commune_activity.people_reached_on_trafficking, 0),
            key_communes.at_risk_population
        ) as people_reached_capped
    from periods
    inner join key_communes
        on
            periods.period_end_date >= key_communes.valid_from
            and (
                key_communes.valid_to is null or periods.period_start_date <= key_communes.valid_to
            )
    left join commune_activity
        on
            periods.period_code = commune_activity.period_code
            and key_communes.commune_code = commune_activity.commune_code
),

communes_counselled as (
    select
        'I1_communes_counselled' as indicator_code,
        period_code,
        coalesce(district_code, province_code) as area_code,
        case when district_code is null then 'province' else 'district' end as area_level,
        count(*) filter (where was_counselled) as numerator,
        count(*) as denominator
    from key_commune_periods
    group by
        grouping sets ((period_code, province_code), (period_code, province_code, district_code))
),

people_reached as (
    select
        'I3_people_reached' as indicator_code,
        period_code,
        coalesce(district_code, province_code) as area_code,
        case when district_code is null then 'province' else 'district' end as area_level,
        sum(people_reached_capped) as numerator,
        sum(at_risk_population) as denominator
    from key_commune_periods
    group by
        grouping sets ((period_code, province_code), (period_code, province_code, district_code))
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

outlet_periods as (
    select
        periods.period_code,
        sources.province_code,
        sources.source_code,
        sources.reporters_on_beat,
        coalesce(sum(output_rows.people_reached), 0) as reporters_trained
    from periods
    inner join sources
        on
            sources.reporters_on_beat is not null
            and periods.period_end_date >= sources.valid_from
            and (sources.valid_to is null or periods.period_start_date <= sources.valid_to)
    left join output_rows
        on
            sources.source_code = output_rows.source_code
            and output_rows.output_type_code = 'tap_huan'
            and output_rows.report_month
            between periods.period_start_date and periods.period_end_date
    group by
        periods.period_code, sources.province_code, sources.source_code,
        sources.reporters_on_beat
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
        case
            when all_values.denominator > 0
                then cast(all_values.numerator as double) / all_values.denominator
        end as indicator_value,
        targets.programme_code,
        targets.target_value,
        targets.target_operator,
        case
            when all_values.denominator = 0 or targets.target_value is null then null
            when targets.target_operator = '>='
                then
                    cast(all_values.numerator as double) / all_values.denominator
                    >= targets.target_value
            when targets.target_operator = '<='
                then
                    cast(all_values.numerator as double) / all_values.denominator
                    <= targets.target_value
        end as is_met
    from all_values
    inner join periods
        on all_values.period_code = periods.period_code
    left join targets
        on
            all_values.indicator_code = targets.indicator_code
            and periods.period_end_date between targets.valid_from and targets.valid_to
)

select * from final
