-- grain: one row per outlet × reporting month × topic the department's rules know
-- Items claimed against items found on the outlet's site: the claimed count (the rows of the
-- types published online, duong_dan given or not) against the published items of the month the
-- rules put on the topic, and the claimed addresses' verdicts. Flagged when the month is
-- covered and the claim is well above what was found (the department's ratio and gap).
with

months as (
    select * from {{ ref('int_published_months_covered') }}
),

topics as (
    select distinct topic_code from {{ ref('stg_reference__topic_terms') }}
),

claimed as (
    select
        source_code,
        report_month,
        topic_code,
        sum(quantity) as claimed_count,
        count(claimed_url_key) as claimed_address_count
    from {{ ref('int_claimed_items_listed') }}
    group by source_code, report_month, topic_code
),

published_topics as (
    select
        source_code,
        published_month,
        unnest(topic_codes) as topic_code
    from {{ ref('fct_published_items') }}
    where published_month is not null
),

found as (
    select
        source_code,
        published_month as report_month,
        topic_code,
        count(*) as found_count
    from published_topics
    group by source_code, published_month, topic_code
),

verdicts as (
    select
        source_code,
        report_month,
        topic_code,
        count(*) filter (where verdict = 'found') as addresses_found,
        count(*) filter (where verdict = 'not_found') as addresses_not_found,
        count(*) filter (where verdict = 'other_month') as addresses_other_month,
        count(*) filter (where verdict = 'other_topic') as addresses_other_topic
    from {{ ref('fct_claimed_item_checks') }}
    group by source_code, report_month, topic_code
),

grid as (
    select
        months.source_code,
        months.report_month,
        topics.topic_code,
        months.is_covered
    from months
    cross join topics
),

counted as (
    select
        grid.source_code,
        grid.report_month,
        grid.topic_code,
        grid.is_covered,
        cast(coalesce(claimed.claimed_count, 0) as bigint) as claimed_count,
        cast(coalesce(found.found_count, 0) as bigint) as found_count,
        cast(coalesce(claimed.claimed_address_count, 0) as integer) as claimed_address_count,
        cast(coalesce(verdicts.addresses_found, 0) as integer) as addresses_found,
        cast(coalesce(verdicts.addresses_not_found, 0) as integer) as addresses_not_found,
        cast(coalesce(verdicts.addresses_other_month, 0) as integer) as addresses_other_month,
        cast(coalesce(verdicts.addresses_other_topic, 0) as integer) as addresses_other_topic
    from grid
    left join claimed
        on
            grid.source_code = claimed.source_code
            and grid.report_month = claimed.report_month
            and grid.topic_code = claimed.topic_code
    left join found
        on
            grid.source_code = found.source_code
            and grid.report_month = found.report_month
            and grid.topic_code = found.topic_code
    left join verdicts
        on
            grid.source_code = verdicts.source_code
            and grid.report_month = verdicts.report_month
            and grid.topic_code = verdicts.topic_code
),

final as (
    select
        {{ source_month_key() }} || ':' || topic_code as published_crosscheck_key,
        *,
        {{ crosscheck_ratio() }} as claimed_ratio_threshold,
        {{ crosscheck_min_gap() }} as claimed_gap_threshold,
        is_covered
        and claimed_count >= found_count + {{ crosscheck_min_gap() }}
        and claimed_count >= found_count * {{ crosscheck_ratio() }} as is_claimed_above_found
    from counted
)

select * from final
