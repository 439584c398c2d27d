{#- After a `dbt build` or `dbt run` in which every model that reads the as-of date (tag
    as_of_date) was built, a row of meta.builds: the date those tables are as of, when, by which
    invocation, how many nodes ran and how many failed. A run that left one of them out (a
    `--select` of other models) records nothing: its date is not theirs. The report's date is
    the last row's; the nightly run compares the key of that date with its own to decide whether
    the date reaches any table, and adds a row of its own on a night it runs no dbt because
    nothing the tables read changed. -#}
{% macro record_build(results) %}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set built = [] -%}
        {%- for result in results if result.status == 'success' -%}
            {%- do built.append(result.node.unique_id) -%}
        {%- endfor -%}
        {%- set dated = [] -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and 'as_of_date' in node.tags -%}
            {%- do dated.append(node.unique_id) -%}
        {%- endfor -%}
        {%- set failures = results
            | selectattr('status', 'in', ['error', 'fail', 'runtime error'])
            | list | length -%}
        {%- if dated and dated | reject('in', built) | list | length == 0 -%}
            create schema if not exists meta;
            create table if not exists meta.builds (
                recorded_at timestamptz not null,
                as_of_date date not null,
                recorded_by varchar not null,
                invocation_id varchar,
                nodes_run integer not null,
                failures integer not null
            );
            comment on table meta.builds is 'One row per build that made the tables reading the as-of date as of a date (dbt build or run), or a night on which nothing they read changed: the date the warehouse is as of is the last row''s.';
            insert into meta.builds
                (recorded_at, as_of_date, recorded_by, invocation_id, nodes_run, failures)
            values (
                now(),
                {{ as_of_date() }},
                'dbt {{ flags.WHICH }}',
                '{{ invocation_id }}',
                {{ results | length }},
                {{ failures }}
            );
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
