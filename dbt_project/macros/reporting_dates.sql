{#- The day the warehouse is built as of: var as_of_date, else OUTREACH_AS_OF_DATE (which the
    nightly run sets: an environment variable, because a var that changes every night makes dbt
    parse the whole project again, where a changed environment variable re-parses only the
    files that read it), else today. A model that calls this carries the tag as_of_date: the
    nightly build re-creates it when the date moves. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        date '{{ var("as_of_date") }}'
    {%- elif env_var('OUTREACH_AS_OF_DATE', '') -%}
        date '{{ env_var("OUTREACH_AS_OF_DATE") }}'
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{#- The first day the monthly file of `month` (a first of month) covers, by the reporting
    calendar: the month itself, or from the 15th of the month before (Nghị định 09/2019). -#}
{% macro month_window_start(month) -%}
    {%- if var('reporting_calendar') == 'nd09_2019' -%}
        cast({{ month }} - interval 1 month + interval 14 day as date)
    {%- else -%}
        cast({{ month }} as date)
    {%- endif -%}
{%- endmacro %}

{#- The last day it covers: the month's last day, or its 14th (Nghị định 09/2019). -#}
{% macro month_window_end(month) -%}
    {%- if var('reporting_calendar') == 'nd09_2019' -%}
        cast({{ month }} + interval 13 day as date)
    {%- else -%}
        last_day({{ month }})
    {%- endif -%}
{%- endmacro %}

{#- The day a monthly file is due: on_time_days after the last day it covers. -#}
{% macro due_date(month) -%}
    cast({{ month_window_end(month) }} + to_days({{ var('on_time_days') }}) as date)
{%- endmacro %}

{#- The month whose file covers `day`: its own month, or (Nghị định 09/2019) the next month from
    the 15th on. -#}
{% macro report_month_of(day) -%}
    {%- if var('reporting_calendar') == 'nd09_2019' -%}
        cast(date_trunc('month', cast({{ day }} as date))
            + case when day(cast({{ day }} as date)) >= 15 then interval 1 month else interval 0 month end
            as date)
    {%- else -%}
        cast(date_trunc('month', cast({{ day }} as date)) as date)
    {%- endif -%}
{%- endmacro %}
