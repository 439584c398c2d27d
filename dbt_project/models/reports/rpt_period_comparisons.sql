-- grain: one row per reporting period × report area (each province as it is in the period, and
-- the country as 'VN') × compared period (the same period a year earlier, the previous period
-- of the kind, each period of the report's trend chart) × measure
-- What a report says of each figure against another period: the other period's value, the
-- change and, for a count, the change as a share of it. The other period is read in the
-- report's areas and by role, so that 2026-H1's commune offices are compared with 2025-H1's
-- district offices, a merged outlet with the two it replaced, a merged province with the sum
-- of the provinces that formed it. Beside each comparison, how completely both periods were
-- reported (by the sources of the measure's role), so that a rise that only reflects more
-- reports received can be told apart.
-- Incremental by period: a night recomputes the comparisons of each period it reaches and of
-- every period that reads one of those beside its own (int_period_pairs: 2027-H1 compares with
-- 2026-H1); the pre-hook first removes what those periods had.
{{ incremental_by_period('reached_comparisons()') }}

-- depends_on: {{ ref('int_period_months') }}
with

measures as (
    select * from {{ ref('fct_period_measures') }}
),

report_areas as (
    select * from {{ ref('dim_report_areas') }}
),

groups as (
    select * from {{ ref('fct_source_group_periods') }}
    where source_kind != 'department'
),

-- the periods each report reads beside its own
pairs as (
    select * from {{ ref('int_period_pairs') }}
    {% if narrowed_to_periods() %}
        where period_code in (
            {{ reached_comparisons() }}
        )
    {% endif %}
),

-- the compared period's measures in the report's areas: its provinces as they are in the
-- report's period (Hà Giang's 2025-H1 counts for Tuyên Quang in a report of 2026-H1)
compared_in_areas as (
    select
        pairs.period_code,
        pairs.comparison_kind,
        pairs.compared_period_code,
        coalesce(report_areas.report_area_code, measures.report_area_code) as report_area_code,
        measures.measure_key,
        any_value(measures.measure_code) as measure_code,
        any_value(measures.source_role) as source_role,
        any_value(measures.output_group) as output_group,
        any_value(measures.output_type_code) as output_type_code,
        any_value(measures.topic_code) as topic_code,
        bool_or(measures.is_rate) as is_rate,
        sum(measures.numerator) as numerator,
        sum(measures.denominator) as denominator
    from pairs
    inner join measures
        on
            pairs.compared_period_code = measures.period_code
            and {{ shown_in_comparison('pairs', 'measures') }}
    left join report_areas
        on
            pairs.period_code = report_areas.period_code
            and measures.report_area_code = report_areas.province_code
    group by all
),

current_in_pairs as (
    select
        pairs.period_code,
        pairs.comparison_kind,
        pairs.compared_period_code,
        measures.report_area_code,
        measures.measure_key,
        measures.measure_code,
        measures.source_role,
        measures.output_group,
        measures.output_type_code,
        measures.topic_code,
        measures.is_rate,
        measures.numerator,
        measures.denominator
    from pairs
    inner join measures
        on
            pairs.period_code = measures.period_code
            and {{ shown_in_comparison('pairs', 'measures') }}
),

-- each measure of either side, with both sides' numbers (a count missing on one side is 0)
joined as (
    select
        coalesce(current_side.period_code, compared_side.period_code) as period_code,
        coalesce(current_side.comparison_kind, compared_side.comparison_kind)
            as comparison_kind,
        coalesce(current_side.compared_period_code, compared_side.compared_period_code)
            as compared_period_code,
        coalesce(current_side.report_area_code, compared_side.report_area_code)
            as report_area_code,
        coalesce(current_side.measure_key, compared_side.measure_key) as measure_key,
        coalesce(current_side.measure_code, compared_side.measure_code) as measure_code,
        coalesce(current_side.source_role, compared_side.source_role) as source_role,
        coalesce(current_side.output_group, compared_side.output_group) as output_group,
        coalesce(current_side.output_type_code, compared_side.output_type_code)
            as output_type_code,
        coalesce(current_side.topic_code, compared_side.topic_code) as topic_code,
        coalesce(current_side.is_rate, compared_side.is_rate) as is_rate,
        current_side.numerator as current_numerator,
        current_side.denominator as current_denominator,
        compared_side.numerator as compared_numerator,
        compared_side.denominator as compared_denominator
    from current_in_pairs as current_side
    full outer join compared_in_areas as compared_side
        on
            current_side.period_code = compared_side.period_code
            and current_side.comparison_kind = compared_side.comparison_kind
            and current_side.compared_period_code = compared_side.compared_period_code
            and current_side.report_area_code = compared_side.report_area_code
            and current_side.measure_key = compared_side.measure_key
),

-- the country: every area's numbers summed
with_country as (
    select
        period_code,
        comparison_kind,
        compared_period_code,
        case when grouping(report_area_code) = 0 then report_area_code else 'VN' end
            as report_area_code,
        measure_key,
        any_value(measure_code) as measure_code,
        any_value(source_role) as source_role,
        any_value(output_group) as output_group,
        any_value(output_type_code) as output_type_code,
        any_value(topic_code) as topic_code,
        bool_or(is_rate) as is_rate,
        sum(current_numerator) as current_numerator,
        sum(current_denominator) as current_denominator,
        sum(compared_numerator) as compared_numerator,
        sum(compared_denominator) as compared_denominator
    from joined
    group by grouping sets (
        (period_code, comparison_kind, compared_period_code, report_area_code, measure_key),
        (period_code, comparison_kind, compared_period_code, measure_key)
    )
),

valued as (
    select
        *,
        case
            when is_rate then {{ indicator_value('current_numerator', 'current_denominator') }}
            else cast(coalesce(current_numerator, 0) as double)
        end as current_value,
        case
            when is_rate then {{ indicator_value('compared_numerator', 'compared_denominator') }}
            else cast(coalesce(compared_numerator, 0) as double)
        end as compared_value
    from with_country
),

-- how completely each side was reported: the reporting rate of the measure's role (of every
-- source for a measure of all roles), and whether the compared period had any report at all
completeness as (
    select
        period_code,
        comparison_kind,
        compared_period_code,
        report_area_code,
        source_role,
        current_value as current_reporting_rate,
        compared_value as compared_reporting_rate,
        coalesce(compared_numerator, 0) as compared_reports_received
    from valued
    where measure_code = 'reporting_rate'
),

-- the kinds of source each side's role was made of ("cấp huyện" then "cấp xã")
role_kinds as (
    select
        pairs.period_code,
        pairs.comparison_kind,
        pairs.compared_period_code,
        pairs.compared_period_code = groups.period_code as is_compared_side,
        coalesce(report_areas.report_area_code, groups.province_code) as report_area_code,
        groups.source_role,
        groups.source_kind
    from pairs
    inner join groups
        on groups.period_code in (pairs.period_code, pairs.compared_period_code)
    left join report_areas
        on
            pairs.period_code = report_areas.period_code
            and groups.province_code = report_areas.province_code
    where groups.sources_registered > 0
),

role_kind_lists as (
    select
        period_code,
        comparison_kind,
        compared_period_code,
        case when grouping(report_area_code) = 0 then report_area_code else 'VN' end
            as report_area_code,
        source_role,
        string_agg(distinct source_kind, '|' order by source_kind) filter (
            where not is_compared_side
        ) as current_source_kinds,
        string_agg(distinct source_kind, '|' order by source_kind) filter (
            where is_compared_side
        ) as compared_source_kinds
    from role_kinds
    group by grouping sets (
        (period_code, comparison_kind, compared_period_code, report_area_code, source_role),
        (period_code, comparison_kind, compared_period_code, source_role)
    )
),

area_reports as (
    select * from completeness
    where source_role = 'all'
),

final as (
    select
        valued.period_code || ':' || valued.report_area_code || ':' || valued.comparison_kind
        || ':' || valued.compared_period_code || ':' || valued.measure_key
            as period_comparison_key,
        valued.period_code,
        valued.report_area_code,
        valued.comparison_kind,
        valued.compared_period_code,
        valued.measure_key,
        valued.measure_code,
        valued.source_role,
        valued.output_group,
        valued.output_type_code,
        valued.topic_code,
        valued.is_rate,
        cast(valued.current_numerator as bigint) as current_numerator,
        cast(valued.current_denominator as bigint) as current_denominator,
        valued.current_value,
        cast(valued.compared_numerator as bigint) as compared_numerator,
        cast(valued.compared_denominator as bigint) as compared_denominator,
        valued.compared_value,
        valued.current_value - valued.compared_value as change_value,
        -- a count's change as a share of the compared count; none from a compared zero
        -- ("mới phát sinh") and none for a rate (its change is in percentage points)
        case
            when not valued.is_rate and valued.compared_value > 0
                then (valued.current_value - valued.compared_value) / valued.compared_value
        end as change_ratio,
        -- the compared period had reports of the area in the warehouse: else there is nothing
        -- to compare with (a deployment's first year)
        coalesce(area_reports.compared_reports_received, 0) > 0 as has_compared_data,
        role_completeness.current_reporting_rate,
        role_completeness.compared_reporting_rate,
        coalesce(
            round(role_completeness.compared_reporting_rate, 3)
            < round(role_completeness.current_reporting_rate, 3),
            false
        ) as is_compared_less_complete,
        role_kind_lists.current_source_kinds,
        role_kind_lists.compared_source_kinds
    from valued
    left join area_reports
        on
            valued.period_code = area_reports.period_code
            and valued.comparison_kind = area_reports.comparison_kind
            and valued.compared_period_code = area_reports.compared_period_code
            and valued.report_area_code = area_reports.report_area_code
    left join completeness as role_completeness
        on
            valued.period_code = role_completeness.period_code
            and valued.comparison_kind = role_completeness.comparison_kind
            and valued.compared_period_code = role_completeness.compared_period_code
            and valued.report_area_code = role_completeness.report_area_code
            and valued.source_role = role_completeness.source_role
    left join role_kind_lists
        on
            valued.period_code = role_kind_lists.period_code
            and valued.comparison_kind = role_kind_lists.comparison_kind
            and valued.compared_period_code = role_kind_lists.compared_period_code
            and valued.report_area_code = role_kind_lists.report_area_code
            and valued.source_role = role_kind_lists.source_role
)

select * from final
