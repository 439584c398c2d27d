-- grain: one row per reporting period × report area (a province as it was in the period:
-- dim_report_areas) × measure (its code, the role of the sources it counts, and for items
-- their output group, output type and topic; 'all' where it counts them all)
-- Every figure the report's body states, as one number or a ratio of two, so that a period can
-- be compared with another (rpt_period_comparisons): items, counselling, directive documents,
-- the reporting and on-time rates, the programme's indicators. Sources are counted by their
-- role (dim_sources.source_role): a period's district offices and another's commune offices
-- are both the local offices.
-- The as-of date reaches it through fct_reporting_rates (the months due), never directly.
-- Incremental by period: a period's figures read only its own months (and the rates and
-- indicators of the period), so a night recomputes the periods its months fall in
-- (`reached_periods`) and the pre-hook first removes what those periods had.
{{ incremental_by_period() }}

with

periods as (
    select * from {{ ref('dim_periods') }}
    {% if narrowed_to_periods() %}
        where period_code in (
            {{ reached_periods() }}
        )
    {% endif %}
),

period_months as (
    select * from {{ ref('int_period_months') }}
    where period_code in (select periods.period_code from periods)
),

report_areas as (
    select * from {{ ref('dim_report_areas') }}
),

sources as (
    select * from {{ ref('dim_sources') }}
),

outputs as (
    select * from {{ ref('fct_media_outputs') }}
    where report_month in (select period_months.report_month from period_months)
),

directives as (
    select * from {{ ref('fct_directive_documents') }}
),

rates as (
    select * from {{ ref('fct_reporting_rates') }}
    where
        aggregation_level in ('province', 'source_kind')
        and period_code in (select periods.period_code from periods)
),

-- the role of each kind of source (dim_sources.source_role)
roles as (
    select distinct
        source_kind,
        source_role
    from sources
),

indicator_values as (
    select * from {{ ref('fct_indicator_values') }}
    where
        area_level = 'province'
        and period_code in (select periods.period_code from periods)
),

-- each row of the period's outputs in the report area of its source
period_outputs as (
    select
        periods.period_code,
        report_areas.report_area_code,
        sources.source_role,
        outputs.source_kind,
        outputs.output_group,
        outputs.output_type_code,
        outputs.topic_code,
        outputs.commune_code,
        outputs.quantity,
        outputs.people_reached
    from outputs
    inner join period_months
        on outputs.report_month = period_months.report_month
    inner join periods
        on period_months.period_code = periods.period_code
    inner join sources
        on outputs.source_code = sources.source_code
    inner join report_areas
        on
            periods.period_code = report_areas.period_code
            and sources.province_code = report_areas.province_code
),

-- items by role: a group's total, by topic and by output type; every role's together: by
-- output type (the trainings), and each output group's total and by topic (the assessment)
items as (
    select
        period_code,
        report_area_code,
        'items' as measure_code,
        case when grouping(source_role) = 0 then source_role else 'all' end as source_role,
        output_group,
        case when grouping(output_type_code) = 0 then output_type_code else 'all' end
            as output_type_code,
        case when grouping(topic_code) = 0 then topic_code else 'all' end as topic_code,
        sum(quantity) as numerator,
        cast(null as bigint) as denominator
    from period_outputs
    group by grouping sets (
        (period_code, report_area_code, source_role, output_group),
        (period_code, report_area_code, source_role, output_group, topic_code),
        (period_code, report_area_code, source_role, output_group, output_type_code),
        (period_code, report_area_code, output_group, output_type_code),
        (period_code, report_area_code, output_group),
        (period_code, report_area_code, output_group, topic_code)
    )
),

-- direct counselling (tu_van): the communes counselled (a district office names the old
-- communes, a commune office its new one: the reform reused codes, so communes are counted
-- within a kind of source) and the people who attended
counselling as (
    select
        period_code,
        report_area_code,
        source_role,
        count(distinct source_kind || ':' || commune_code) as communes,
        coalesce(sum(people_reached), 0) as people
    from period_outputs
    where output_type_code = 'tu_van'
    group by period_code, report_area_code, source_role
),

counselling_measures as (
    select
        period_code,
        report_area_code,
        'counselled_communes' as measure_code,
        source_role,
        'grassroots' as output_group,
        'tu_van' as output_type_code,
        'all' as topic_code,
        communes as numerator,
        cast(null as bigint) as denominator
    from counselling
    union all
    select
        period_code,
        report_area_code,
        'counselled_people' as measure_code,
        source_role,
        'grassroots' as output_group,
        'tu_van' as output_type_code,
        'all' as topic_code,
        people as numerator,
        cast(null as bigint) as denominator
    from counselling
),

-- directive documents issued on the days the period covers (the reporting calendar's)
directive_measures as (
    select
        periods.period_code,
        report_areas.report_area_code,
        'directive_documents' as measure_code,
        'all' as source_role,
        'all' as output_group,
        'all' as output_type_code,
        'all' as topic_code,
        count(*) as numerator,
        cast(null as bigint) as denominator
    from directives
    inner join periods
        on directives.issued_date between periods.period_start_date and periods.period_end_date
    inner join sources
        on directives.source_code = sources.source_code
    inner join report_areas
        on
            periods.period_code = report_areas.period_code
            and sources.province_code = report_areas.province_code
    group by periods.period_code, report_areas.report_area_code
),

-- the reporting and on-time rates over the months due, by role and for every source
role_rates as (
    select
        rates.period_code,
        rates.province_code as report_area_code,
        case
            when rates.aggregation_level = 'province' then 'all' else roles.source_role
        end as source_role,
        sum(rates.expected_reports) as expected_reports,
        sum(rates.actual_reports) as actual_reports,
        sum(rates.reports_on_time) as reports_on_time
    from rates
    inner join periods
        on rates.period_code = periods.period_code
    left join roles
        on rates.aggregation_level = 'source_kind' and rates.aggregation_code = roles.source_kind
    group by all
),

rate_measures as (
    select
        period_code,
        report_area_code,
        'reporting_rate' as measure_code,
        source_role,
        'all' as output_group,
        'all' as output_type_code,
        'all' as topic_code,
        actual_reports as numerator,
        expected_reports as denominator
    from role_rates
    union all
    select
        period_code,
        report_area_code,
        'on_time_rate' as measure_code,
        source_role,
        'all' as output_group,
        'all' as output_type_code,
        'all' as topic_code,
        reports_on_time as numerator,
        expected_reports as denominator
    from role_rates
),

-- the programme's indicators: ratios of counts, so an area's sum its provinces' parts
indicator_measures as (
    select
        indicator_values.period_code,
        coalesce(report_areas.report_area_code, indicator_values.area_code)
            as report_area_code,
        indicator_values.indicator_code as measure_code,
        'all' as source_role,
        'all' as output_group,
        'all' as output_type_code,
        'all' as topic_code,
        sum(indicator_values.numerator) as numerator,
        sum(indicator_values.denominator) as denominator
    from indicator_values
    left join report_areas
        on
            indicator_values.period_code = report_areas.period_code
            and indicator_values.area_code = report_areas.province_code
    group by all
),

all_measures as (
    select * from items
    union all
    select * from counselling_measures
    union all
    select * from directive_measures
    union all
    select * from rate_measures
    union all
    select * from indicator_measures
),

final as (
    select
        period_code || ':' || report_area_code || ':' || measure_code || ':' || source_role
        || ':' || output_group || ':' || output_type_code || ':' || topic_code
            as period_measure_key,
        period_code,
        report_area_code,
        measure_code || ':' || source_role || ':' || output_group || ':' || output_type_code
        || ':' || topic_code as measure_key,
        measure_code,
        source_role,
        output_group,
        output_type_code,
        topic_code,
        denominator is not null as is_rate,
        cast(numerator as bigint) as numerator,
        cast(denominator as bigint) as denominator,
        case
            when denominator is null then cast(numerator as double)
            else {{ indicator_value('numerator', 'denominator') }}
        end as measure_value
    from all_measures
)

select * from final
