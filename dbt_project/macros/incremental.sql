{% macro changed_source_months() %}
    {#- The source-months (as source_code:YYYY-MM) whose winning monthly file is not the one
        {{ this }} was built from: a new month, a correction that replaced its month, or a
        month whose winner has no rows (an empty report). Needs a submission_id column in
        {{ this }}. The nightly run recomputes only these. -#}
    select
        {{ source_month_key() }} as source_month
    from {{ ref('int_submissions_resolved') }}
    where
        file_kind = 'monthly'
        and submission_id not in (select distinct built.submission_id from {{ this }} as built)
    union
    select distinct
        {{ source_month_key() }} as source_month
    from {{ this }}
    where submission_id not in (
        select winners.submission_id from {{ ref('int_submissions_resolved') }} as winners
        where winners.file_kind = 'monthly'
    )
{% endmacro %}

{% macro delete_changed_source_months() %}
    {#- The pre-hook of a model incremental by source-month (with source_code, report_month and
        submission_id columns): on a night, first remove the rows of the source-months it
        recomputes (`changed_source_months`). -#}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ source_month_key() }} in ({{ changed_source_months() }})
    {%- endif -%}
{% endmacro %}

{% macro reached_months() %}
    {#- The months a night reaches, for the models incremental by period (tag `by_period`):
        `outreach` names them in OUTREACH_REACHED_MONTHS (YYYY-MM, separated by commas; `none`
        for no month) when it can tell them: the months of the files ingested since the last
        build, of their directive documents, and those the as-of date moved over. None when it
        is unset (a build by hand, a night that cannot tell): then they recompute every period. -#}
    {%- set value = env_var('OUTREACH_REACHED_MONTHS', '') | trim -%}
    {%- if not value -%}
        {{ return(none) }}
    {%- elif value == 'none' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set months = value.split(',') -%}
    {%- for month in months -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}', month) -%}
            {{ exceptions.raise_compiler_error(
                'OUTREACH_REACHED_MONTHS: "' ~ month ~ '" is not a month (YYYY-MM)'
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(months) }}
{% endmacro %}

{% macro narrowed_to_periods() %}
    {#- Whether this build of a model incremental by period recomputes only some periods: it is
        incremental and knows the months it reaches. -#}
    {{ return(is_incremental() and reached_months() is not none) }}
{% endmacro %}

{% macro reached_periods(months_too=false) %}
    {#- The codes of the periods the night's months fall in (`reached_months`); `months_too`:
        the months themselves too, as YYYY-MM (a table that also has a row per month). -#}
    {%- set months = reached_months() or [] -%}
    {%- set listed -%}
        {%- for month in months -%}'{{ month }}'{{ ', ' if not loop.last }}{%- endfor -%}
    {%- endset -%}
    {#- on one line, so that it reads as one wherever a model puts it -#}
    select distinct period_code from {{ ref('int_period_months') }} where strftime(report_month, '%Y-%m') in ({{ listed or 'null' }})
    {%- if months_too %} union select unnest([{{ listed }}]::varchar[]) as period_code{% endif %}
{%- endmacro %}

{% macro delete_reached_periods(periods) %}
    {#- The pre-hook of a model incremental by period (with a period_code column): first remove
        the rows of the periods it recomputes (`periods`: a query of their codes), or every row
        when it recomputes every period. -#}
    {%- if is_incremental() -%}
        {%- if narrowed_to_periods() -%}
            delete from {{ this }} where period_code in ({{ periods }})
        {%- else -%}
            delete from {{ this }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{% macro reached_comparisons() %}
    {#- The periods whose comparisons a night recomputes: those it reaches (`reached_periods`)
        and every period that reads one of them beside its own (int_period_pairs). -#}
    select reached.period_code from (
        {{ reached_periods() }}
    ) as reached
    union
    select pairs.period_code from {{ ref('int_period_pairs') }} as pairs
    where pairs.compared_period_code in (
        {{ reached_periods() }}
    )
{% endmacro %}

{% macro incremental_by_period(periods='reached_periods()', tags=[]) %}
    {#- The configuration of a model incremental by period: appended to, tagged `by_period` (the
        night's selection looks for the tag), and first cleared of the periods it recomputes
        (`periods`: the macro call that lists their codes, as text). -#}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        tags=['by_period'] + tags,
        pre_hook='{{ delete_reached_periods(' ~ periods ~ ') }}'
    ) }}
{% endmacro %}
