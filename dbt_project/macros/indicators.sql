{#- An indicator's value: numerator / denominator, null when there is nothing to divide by. -#}
{% macro indicator_value(numerator, denominator) -%}
    case
        when {{ denominator }} > 0
            then cast({{ numerator }} as double) / {{ denominator }}
    end
{%- endmacro %}

{#- Whether the value meets its target: null while the period is open (the value will still
    move), without a target or with nothing to divide by. -#}
{% macro indicator_is_met(numerator, denominator, target_value, target_operator, is_closed) -%}
    case
        when not {{ is_closed }} then null
        when {{ denominator }} = 0 or {{ target_value }} is null then null
        when {{ target_operator }} = '>='
            then cast({{ numerator }} as double) / {{ denominator }} >= {{ target_value }}
        when {{ target_operator }} = '<='
            then cast({{ numerator }} as double) / {{ denominator }} <= {{ target_value }}
    end
{%- endmacro %}
