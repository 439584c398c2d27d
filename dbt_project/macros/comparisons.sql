{#- Whether a measure is read in a comparison: every measure against the same period and the
    previous one; in the trend chart's periods, only what the chart draws (each role's items by
    output group, the rates and the indicators). -#}
{% macro shown_in_comparison(pairs, measures) -%}
    (
        {{ pairs }}.comparison_kind != 'trend'
        or {{ measures }}.is_rate
        or (
            {{ measures }}.measure_code = 'items'
            and {{ measures }}.output_type_code = 'all'
            and {{ measures }}.topic_code = 'all'
        )
    )
{%- endmacro %}
