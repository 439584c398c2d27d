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
    select * from {{ ref('stg_reference__sources') }}
),

key_communes as (
    select
        key_areas.commune_code,
        key_areas.at_risk_population,
        key_areas.valid_from,
        key_areas.valid_to,
        units.district_code,
        units.province_code
    from {{ ref('stg_reference__key_area_communes') }} as key_areas
    inner join {{ ref('stg_reference__admin_units') }} as units
        on
            key_areas.commune_code = units.commune_code
            -- codes were reused by the 2025 reform: the unit valid when the key area is
            and key_areas.valid_from >= units.valid_from
            and (units.valid_to is null or key_areas.valid_from <= units.valid_to)
),

successors as (
    select
        old_commune_code,
        new_commune_code
    from {{ ref('stg_reference__commune_successions') }}
    where is_default_successor
),

targets as (
    select * from {{ ref('dim_indicators') }}
),

key_areas_in_period as (
    select
        periods.period_code,
        periods.period_start_date,
        periods.period_end_date,
        key_communes.*
    from periods
    inner join key_communes
        on
            periods.period_end_date >= key_communes.valid_from
            and (
                key_communes.valid_to is null or periods.period_start_date <= key_communes.valid_to
            )
),

-- a key area of a period that spans the 2025 reform counts as the key area its commune went to,
-- when that one is a key area of the period too: its rows are added to the successor's, its
-- population is not (the successor's is the sum of its predecessors'), so no one is counted
-- twice and a year has one list of key areas
key_area_members as (
    select
        members.period_code,
        members.period_start_date,
        members.period_end_date,
        members.commune_code as member_code,
        members.valid_from as member_valid_from,
        members.valid_to as member_valid_to,
        coalesce(units.commune_code, members.commune_code) as commune_code,
        coalesce(units.valid_from, members.valid_from) as valid_from,
        coalesce(units.at_risk_population, members.at_risk_population) as at_risk_population,
        case
            when units.commune_code is null then members.district_code
            else units.district_code
        end as district_code,
        coalesce(units.province_code, members.province_code) as province_code
    from key_areas_in_period as members
    left join successors
        on members.commune_code = successors.old_commune_code
    left join key_areas_in_period as units
        on
            members.period_code = units.period_code
            and successors.new_commune_code = units.commune_code
            and members.valid_to is not null
            and members.valid_to < units.valid_from
),

-- each key area of a period with the rows of its communes in the months each was a key area
-- (the 2025 reform reused commune codes: an old commune and a new one may share a code)
key_commune_periods as (
    select
        key_area_members.period_code,
        key_area_members.province_code,
        key_area_members.district_code,
        key_area_members.commune_code,
        key_area_members.valid_from,
        any_value(key_area_members.at_risk_population) as at_risk_population,
        coalesce(bool_or(output_rows.output_type_code = 'tu_van'), false) as was_counselled,
        least(
            coalesce(sum(output_rows.people_reached) filter (
                where output_rows.topic_code = 'mua_ban_nguoi'
                and output_rows.output_group = 'grassroots'
            ), 0),
            any_value(key_area_members.at_risk_population)
        ) as people_reached_capped
    from key_area_members
    left join output_rows
        on
            key_area_members.member_code = output_rows.commune_code
            and output_rows.report_month
            between key_area_members.period_start_date and key_area_members.period_end_date
            and output_rows.report_month >= date_trunc('month', key_area_members.member_valid_from)
            and (
                key_area_members.member_valid_to is null
                or key_area_members.member_valid_to >= output_rows.report_month
            )
    group by
        key_area_members.period_code, key_area_members.province_code,
        key_area_members.district_code, key_area_members.commune_code,
        key_area_members.valid_from
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
    from key_commune_periods
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
    from key_commune_periods
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

-- outlets registered in the period; one merged into a successor that is registered in the
-- period too (BAO-LS and PTTH-LS into BPTTH-LS in 2025) counts as that successor: its trainings
-- are added to the successor's, its reporters are not (they are the successor's reporters)
outlets_in_period as (
    select
        periods.period_code,
        sources.province_code,
        sources.source_code,
        sources.reporters_on_beat,
        string_split(coalesce(sources.predecessor_codes, ''), '|') as predecessors
    from periods
    inner join sources
        on
            sources.reporters_on_beat is not null
            and periods.period_end_date >= sources.valid_from
            and (sources.valid_to is null or periods.period_start_date <= sources.valid_to)
),

counted_as as (
    select
        outlets.period_code,
        outlets.source_code,
        coalesce(successors.source_code, outlets.source_code) as outlet_code
    from outlets_in_period as outlets
    left join outlets_in_period as successors
        on
            outlets.period_code = successors.period_code
            and list_contains(successors.predecessors, outlets.source_code)
),

trainings as (
    select
        counted_as.period_code,
        counted_as.outlet_code,
        coalesce(sum(output_rows.people_reached), 0) as reporters_trained
    from counted_as
    inner join periods
        on counted_as.period_code = periods.period_code
    left join output_rows
        on
            counted_as.source_code = output_rows.source_code
            and output_rows.output_type_code = 'tap_huan'
            and output_rows.report_month
            between periods.period_start_date and periods.period_end_date
    group by counted_as.period_code, counted_as.outlet_code
),

outlet_periods as (
    select
        outlets.period_code,
        outlets.province_code,
        outlets.source_code,
        outlets.reporters_on_beat,
        trainings.reporters_trained
    from outlets_in_period as outlets
    inner join trainings
        on
            outlets.period_code = trainings.period_code
            and outlets.source_code = trainings.outlet_code
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
