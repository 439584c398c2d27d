{#- The day the warehouse is built as of: var as_of_date, else today. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        date '{{ var("as_of_date") }}'
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{#- The first day of the last month that has ended by the as-of date. -#}
{% macro last_complete_month() -%}
    (date_trunc('month', {{ as_of_date() }}) - interval 1 month)::date
{%- endmacro %}
