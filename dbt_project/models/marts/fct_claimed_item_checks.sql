-- grain: one row per claimed row with an address, of an outlet with a feed in its month
-- Whether the address an outlet claims was published: found (in its month, on its topic), not
-- found (in a month the reads cover), published in another month, or on another topic; or
-- not covered (the reads do not vouch for the month, so not finding it says nothing). A
-- signal beside the reported figure, which it never changes.
with

claims as (
    select * from {{ ref('int_claimed_items_listed') }}
    where claimed_url_key is not null
),

items as (
    select * from {{ ref('fct_published_items') }}
),

months as (
    select * from {{ ref('int_published_months_covered') }}
),

ruled_topics as (
    select distinct topic_code from {{ ref('stg_reference__topic_terms') }}
),

joined as (
    select
        claims.*,
        months.is_covered,
        items.published_item_key,
        items.item_url as published_url,
        items.title as published_title,
        items.published_date,
        items.published_month,
        items.topic_codes as published_topic_codes,
        items.matched_terms as published_matched_terms,
        ruled_topics.topic_code is not null as is_topic_ruled,
        {{ month_window_start('claims.report_month') }}
        - to_days({{ var('crosscheck_month_tolerance_days') }}) as earliest_day,
        {{ month_window_end('claims.report_month') }}
        + to_days({{ var('crosscheck_month_tolerance_days') }}) as latest_day
    from claims
    inner join months
        on
            claims.source_code = months.source_code
            and claims.report_month = months.report_month
    left join items
        on
            claims.source_code = items.source_code
            and claims.claimed_url_key = items.item_url_key
    left join ruled_topics
        on claims.topic_code = ruled_topics.topic_code
),

final as (
    select
        output_row_id as claimed_item_key,
        source_code,
        report_month,
        file_name,
        file_row_number,
        topic_code,
        output_type_code,
        quantity,
        claimed_title,
        claimed_url,
        published_item_key,
        published_url,
        published_title,
        published_date,
        published_month,
        published_topic_codes,
        published_matched_terms,
        is_covered,
        case
            when published_item_key is null and is_covered then 'not_found'
            when published_item_key is null then 'not_covered'
            when
                published_date is not null
                and published_date not between earliest_day and latest_day
                then 'other_month'
            when is_topic_ruled and not list_contains(published_topic_codes, topic_code)
                then 'other_topic'
            else 'found'
        end as verdict
    from joined
)

select
    *,
    verdict in ('not_found', 'other_month', 'other_topic') as is_flagged
from final
