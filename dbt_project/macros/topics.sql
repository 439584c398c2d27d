{#- The topic rules of published items (docs/data-quality.md#topics-of-published-items): the terms
    of the seed ref_topic_terms, matched as whole words on a folded text. -#}

{#- `expr` (text) folded for matching: lower case, đ → d, accents and tone marks stripped
    (composed or decomposed alike: NFC and NFD fold the same), every run of other characters
    than a-z and 0-9 one space, and one space at each end: "Ma tuý, ĐÁ!" → ' ma tuy da '. A
    term folded the same way is then a run of whole words of a text exactly when
    contains(folded text, folded term). Null stays null. -#}
{% macro topic_fold(expr) -%}
    (
        ' '
        || trim(
            regexp_replace(
                strip_accents(replace(replace(lower({{ expr }}), 'đ', 'd'), 'ð', 'd')),
                '[^a-z0-9]+',
                ' ',
                'g'
            )
        )
        || ' '
    )
{%- endmacro %}

{#- A select of the topics of each row of `relation` (a ref, a relation or a CTE's name): one row
    per `key_column` value and topic at least one of whose terms (stg_reference__topic_terms) is
    a run of whole words of one of `text_columns` (a column name or a list of them; a null is
    empty text), folded by topic_fold. Each column is matched on its own, so that a term never
    runs from one column into the next. Columns: `key_column`, topic_code and matched_term (the
    first of the topic's terms found, in the alphabetical order of the folded terms, as the
    seed writes it). A row matching no term has no row. -#}
{% macro topic_matches(relation, key_column, text_columns) -%}
    {%- set columns = [text_columns] if text_columns is string else text_columns -%}
    {%- set folded_columns = [] -%}
    {%- set found_in_a_column = [] -%}
    {%- for column in columns -%}
        {%- set folded = 'folded_text_' ~ loop.index -%}
        {%- do folded_columns.append(
            topic_fold('coalesce(' ~ column ~ ", '')") ~ ' as ' ~ folded
        ) -%}
        {%- do found_in_a_column.append(
            'contains(folded_texts.' ~ folded ~ ', topic_terms.folded_term)'
        ) -%}
    {%- endfor -%}
    select
        folded_texts.{{ key_column }},
        topic_terms.topic_code,
        topic_terms.term as matched_term
    from (
        select
            {{ key_column }},
            {{ folded_columns | join(', ') }}
        from {{ relation }}
    ) as folded_texts
    inner join (
        select
            topic_code,
            term,
            {{ topic_fold('term') }} as folded_term
        from {{ ref('stg_reference__topic_terms') }}
    ) as topic_terms
        on {{ found_in_a_column | join(' or ') }}
    qualify row_number() over (
        partition by folded_texts.{{ key_column }}, topic_terms.topic_code
        order by topic_terms.folded_term, topic_terms.term
    ) = 1
{%- endmacro %}
