{#- The months a group or a source was registered for, as the report writes them: "tháng 7/2025",
    "tháng 7-12/2025", "tháng 1/2022-6/2025" (first days of months). The one place this wording
    is made: the report reads it from the rpt_ tables. -#}
{% macro months_span_vi(first_month, last_month) -%}
    case
        when {{ first_month }} = {{ last_month }}
            then 'tháng ' || month({{ first_month }}) || '/' || year({{ first_month }})
        when year({{ first_month }}) = year({{ last_month }})
            then
                'tháng ' || month({{ first_month }}) || '-' || month({{ last_month }}) || '/'
                || year({{ last_month }})
        else
            'tháng ' || month({{ first_month }}) || '/' || year({{ first_month }}) || '-'
            || month({{ last_month }}) || '/' || year({{ last_month }})
    end
{%- endmacro %}
