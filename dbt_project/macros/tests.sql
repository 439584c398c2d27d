{% macro null_columns(column_names) %}
    {#- The names of the columns that are null in a row, with commas (tests not_null_columns,
        key_columns). -#}
    {%- set named = [] -%}
    {%- for column in column_names -%}
        {%- do named.append("case when " ~ column ~ " is null then '" ~ column ~ "' end") -%}
    {%- endfor -%}
    concat_ws(', ', {{ named | join(', ') }})
{%- endmacro %}
