{#- After every `dbt build` or `dbt run`, a row of meta.builds: the date the warehouse was built
    as of, when, by which invocation, how many nodes ran and how many failed. The report's date is
    the as-of date of the last row without failures. The nightly run adds a row of its own on a
    night it runs no dbt because nothing the tables read changed (no new row, the as-of date past
    no month end or due date): the tables are then as of that night too. -#}
{% macro record_build(results) %}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set failures = results
            | selectattr('status', 'in', ['error', 'fail', 'runtime error'])
            | list | length -%}
        create schema if not exists meta;
        create table if not exists meta.builds (
            recorded_at timestamptz not null,
            as_of_date date not null,
            recorded_by varchar not null,
            invocation_id varchar,
            nodes_run integer not null,
            failures integer not null
        );
        comment on table meta.builds is 'One row per build of the warehouse (dbt build or run, or a night on which nothing the tables read changed): the date it is as of. The report''s date is the last row without failures.';
        insert into meta.builds values (
            now(),
            {{ as_of_date() }},
            'dbt {{ flags.WHICH }}',
            '{{ invocation_id }}',
            {{ results | length }},
            {{ failures }}
        );
    {%- endif -%}
{% endmacro %}
