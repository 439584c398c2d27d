{#- The cross-check's thresholds: the department's (OUTREACH_CROSSCHECK_RATIO and
    OUTREACH_CROSSCHECK_MIN_GAP, read like the as-of date: a changed environment variable
    re-parses only the files that read it), else the project's vars. -#}
{% macro crosscheck_ratio() -%}
    cast({{ env_var('OUTREACH_CROSSCHECK_RATIO', var('crosscheck_claimed_ratio')) }} as double)
{%- endmacro %}

{% macro crosscheck_min_gap() -%}
    cast({{ env_var('OUTREACH_CROSSCHECK_MIN_GAP', var('crosscheck_min_gap')) }} as bigint)
{%- endmacro %}
