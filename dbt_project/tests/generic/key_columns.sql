{#- A model's key and the columns it must always give, in one test: fails for each value of
    `key` (one column or several, compared as a combination, nulls included) found on more than
    one row, and for each row with a null in any of the `not_null` columns, naming them. One
    node where a unique (or unique-combination) test and a `not_null_columns` test cost two: dbt
    spends more on a node than DuckDB on these reads. -#}
{% test key_columns(model, key, not_null) %}
select
    'duplicate key' as problem,
    concat_ws(' | ', {{ key | join(', ') }}) as key_value,
    count(*) as occurrences
from {{ model }}
group by {{ key | join(', ') }}
having count(*) > 1
union all
select
    'null: ' || {{ null_columns(not_null) }} as problem,
    concat_ws(' | ', {{ key | join(', ') }}) as key_value,
    1 as occurrences
from {{ model }}
where {{ not_null | join(" is null or ") }} is null
{% endtest %}
