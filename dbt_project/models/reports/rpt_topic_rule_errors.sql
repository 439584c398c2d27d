-- grain: one row per hand-labelled example × topic the rules got wrong (found where a reader
-- did not give it, or missed where a reader did)
-- The examples behind the false positives and negatives of rpt_topic_rule_quality, for
-- `outreach topic-rules --errors`: what to read before editing the terms.
with

results as (
    select * from {{ ref('int_topic_examples_matched') }}
),

topics as (
    select * from {{ ref('dim_topics') }}
),

final as (
    select
        results.example_topic_key,
        results.example_id,
        results.topic_code,
        topics.topic_label_vi,
        case
            when results.is_matched then 'false_positive' else 'false_negative'
        end as error_kind,
        results.headline,
        results.summary,
        results.expected_topics,
        results.matched_term,
        topics.sort_order
    from results
    left join topics
        on results.topic_code = topics.topic_code
    where results.is_matched != results.is_expected
)

select * from final
