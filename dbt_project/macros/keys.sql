{#- The key of a source's month, as `source_code:YYYY-MM` (BAO-LS:2022-03): the grain of the
    completeness rows, the unit the incremental models recompute, and the head of the keys of
    rows within a source-month. `prefix` qualifies both columns (`facts.`). -#}
{% macro source_month_key(prefix='', source='source_code', month='report_month') -%}
    {{ prefix }}{{ source }} || ':' || strftime({{ prefix }}{{ month }}, '%Y-%m')
{%- endmacro %}
