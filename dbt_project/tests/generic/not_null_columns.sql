{#- Fails for each row with a null in any of the columns, naming them. One test for a model's
    columns that must be given, instead of a `not_null` test for each: one node and one read of
    the model (a view's test runs its whole SQL again), where a test a column cost dbt a node
    and the warehouse a read each. -#}
{% test not_null_columns(model, column_names) %}
select {{ null_columns(column_names) }} as null_columns
from {{ model }}
where {{ column_names | join(" is null or ") }} is null
{% endtest %}
