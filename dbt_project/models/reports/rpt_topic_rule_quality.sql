-- grain: one row per topic of the rules, and one row 'all' (the topics together: micro-average)
-- How well the topic rules (ref_topic_terms, macros/topics.sql) find the topics a reader gave
-- the hand-labelled examples (ref_topic_examples): `outreach topic-rules` prints it.
with

results as (
    select * from {{ ref('int_topic_examples_matched') }}
),

topics as (
    select * from {{ ref('dim_topics') }}
),

-- each topic, and all of them together (the grand total of the grouping sets: micro-average);
-- an example has one row a topic, so its rows of a topic are its examples
counted as (
    select
        case when grouping(topic_code) = 1 then 'all' else topic_code end as topic_code,
        count(distinct example_id) as examples,
        count(*) filter (where is_expected) as expected,  -- noqa: RF04
        count(*) filter (where is_matched) as matched,  -- noqa: RF04
        count(*) filter (where is_expected and is_matched) as true_positives,
        count(*) filter (where is_matched and not is_expected) as false_positives,
        count(*) filter (where is_expected and not is_matched) as false_negatives
    from results
    group by grouping sets ((topic_code), ())
),

final as (
    select
        counted.topic_code,
        case
            when counted.topic_code = 'all' then 'Cả ba chủ đề'
            else topics.topic_label_vi
        end as topic_label_vi,
        -- the table's order: the topics as the report orders them, then all of them
        row_number() over (
            order by counted.topic_code = 'all', topics.sort_order, counted.topic_code
        ) as line_order,
        counted.examples,
        counted.expected,
        counted.matched,
        counted.true_positives,
        counted.false_positives,
        counted.false_negatives,
        counted.true_positives / nullif(counted.matched, 0) as precision,  -- noqa: RF04
        counted.true_positives / nullif(counted.expected, 0) as recall
    from counted
    left join topics
        on counted.topic_code = topics.topic_code
)

select * from final
