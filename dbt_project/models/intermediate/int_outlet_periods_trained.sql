-- grain: one row per period × outlet with reporters on the beat registered in it (a merged
-- predecessor counted as its successor)
-- An outlet merged into a successor that is registered in the period too (BAO-LS and PTTH-LS
-- into BPTTH-LS in 2025) counts as that successor: its trainings are added to the successor's,
-- its reporters are not (they are the successor's reporters).
with

periods as (
    select * from {{ ref('int_periods_listed') }}
),

sources as (
    select * from {{ ref('stg_reference__sources') }}
),

output_rows as (
    select * from {{ ref('int_output_rows_resolved') }}
),

outlets_in_period as (
    select
        periods.period_code,
        sources.province_code,
        sources.source_code,
        sources.reporters_on_beat,
        string_split(coalesce(sources.predecessor_codes, ''), '|') as predecessors
    from periods
    inner join sources
        on
            sources.reporters_on_beat is not null
            and periods.period_end_date >= sources.valid_from
            and (sources.valid_to is null or periods.period_start_date <= sources.valid_to)
),

counted_as as (
    select
        outlets.period_code,
        outlets.source_code,
        coalesce(successors.source_code, outlets.source_code) as outlet_code
    from outlets_in_period as outlets
    left join outlets_in_period as successors
        on
            outlets.period_code = successors.period_code
            and list_contains(successors.predecessors, outlets.source_code)
),

trainings as (
    select
        counted_as.period_code,
        counted_as.outlet_code,
        coalesce(sum(output_rows.people_reached), 0) as reporters_trained
    from counted_as
    inner join periods
        on counted_as.period_code = periods.period_code
    left join output_rows
        on
            counted_as.source_code = output_rows.source_code
            and output_rows.output_type_code = 'tap_huan'
            and output_rows.report_month
            between periods.period_start_date and periods.period_end_date
    group by counted_as.period_code, counted_as.outlet_code
),

final as (
    select
        outlets.period_code,
        outlets.province_code,
        outlets.source_code,
        outlets.reporters_on_beat,
        trainings.reporters_trained
    from outlets_in_period as outlets
    inner join trainings
        on
            outlets.period_code = trainings.period_code
            and outlets.source_code = trainings.outlet_code
)

select * from final
