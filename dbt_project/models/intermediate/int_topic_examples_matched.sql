-- grain: one row per hand-labelled example × topic of the rules (a topic with terms)
-- The topic rules (macros/topics.sql) applied to the examples of ref_topic_examples, beside what
-- a reader labelled each one: the model rpt_topic_rule_quality counts from.
with

examples as (
    select * from {{ ref('stg_reference__topic_examples') }}
),

terms as (
    select * from {{ ref('stg_reference__topic_terms') }}
),

rule_topics as (
    select distinct topic_code
    from terms
),

expected as (
    select distinct
        example_id,
        trim(unnest(string_split(expected_topics, '|'))) as topic_code
    from examples
    where expected_topics is not null
),

matched as (
    {{ topic_matches('examples', 'example_id', ['headline', 'summary']) }}
),

final as (
    select
        examples.example_id || ':' || rule_topics.topic_code as example_topic_key,
        examples.example_id,
        rule_topics.topic_code,
        examples.headline,
        examples.summary,
        examples.expected_topics,
        expected.example_id is not null as is_expected,
        matched.example_id is not null as is_matched,
        matched.matched_term
    from examples
    cross join rule_topics
    left join expected
        on
            examples.example_id = expected.example_id
            and rule_topics.topic_code = expected.topic_code
    left join matched
        on
            examples.example_id = matched.example_id
            and rule_topics.topic_code = matched.topic_code
)

select * from final
