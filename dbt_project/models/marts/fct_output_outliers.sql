-- grain: one row per source × output type × month the source reported, with the month's count
-- scored against the source's own other months (modified z-score, Iglewicz and Hoaglin)
-- Incremental: a night rescores the whole series of each source with a changed month (a month
-- moves the baselines of its neighbours); the pre-hook first removes those series.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where source_code in (
        select split_part(source_month, ':', 1) from ({{ changed_source_months() }})
    ){% endif %}"
) }}

with

monthly_files as (
    select * from {{ ref('int_submissions_resolved') }}
    where
        file_kind = 'monthly'
        {% if is_incremental() %}
            and source_code in (
                select split_part(changed.source_month, ':', 1)
                from ({{ changed_source_months() }}) as changed
            )
        {% endif %}
),

output_rows as (
    select * from {{ ref('int_output_rows_resolved') }}
    where source_code in (select monthly_files.source_code from monthly_files)
),

-- the output types a source uses, each scored in every month it sent a file (0 when absent)
source_types as (
    select distinct
        source_code,
        output_type_code
    from output_rows
),

monthly_counts as (
    select
        source_types.source_code,
        source_types.output_type_code,
        monthly_files.report_month,
        monthly_files.submission_id,
        month(monthly_files.report_month) = {{ var('campaign_month_of_year') }}
            as is_campaign_month,
        coalesce(sum(output_rows.quantity), 0) as quantity
    from source_types
    inner join monthly_files
        on source_types.source_code = monthly_files.source_code
    left join output_rows
        on
            monthly_files.submission_id = output_rows.submission_id
            and source_types.output_type_code = output_rows.output_type_code
    group by all
),

-- the other months within 24 months, campaign months left out of every baseline: one window
-- per series (a self-join of every month with its 48 neighbours cost six times as much)
windowed as (
    select
        source_code,
        output_type_code,
        report_month,
        count(*) filter (where not is_campaign_month) over history as history_months,
        median(quantity) filter (where not is_campaign_month) over history as baseline_median,
        mad(quantity) filter (where not is_campaign_month) over history
            as median_absolute_deviation
    from monthly_counts
    window history as (
        partition by source_code, output_type_code
        order by report_month
        range between interval 24 month preceding and interval 24 month following
        exclude current row
    )
),

scored as (
    select
        monthly_counts.source_code,
        monthly_counts.output_type_code,
        monthly_counts.report_month,
        monthly_counts.submission_id,
        monthly_counts.is_campaign_month,
        monthly_counts.quantity,
        windowed.history_months,
        windowed.baseline_median,
        windowed.median_absolute_deviation,
        case
            when monthly_counts.is_campaign_month
                then monthly_counts.quantity / {{ var('campaign_factor') }}
            else monthly_counts.quantity
        end as compared_quantity
    from monthly_counts
    inner join windowed
        on
            monthly_counts.source_code = windowed.source_code
            and monthly_counts.output_type_code = windowed.output_type_code
            and monthly_counts.report_month = windowed.report_month
),

final as (
    select
        {{ source_month_key() }} || ':' || output_type_code
            as output_outlier_key,
        source_code,
        output_type_code,
        report_month,
        submission_id,
        cast(quantity as bigint) as quantity,
        is_campaign_month,
        cast(history_months as bigint) as history_months,
        cast(baseline_median as double) as baseline_median,
        cast(median_absolute_deviation as double) as median_absolute_deviation,
        history_months >= {{ var('outlier_min_history_months') }} as is_scored,
        -- a deviation of at least 1 and at least 10% of the median: a source that always
        -- sends 1, or that varies by a few percent, is not an outlier for sending 2 or 5% more
        case
            when history_months >= {{ var('outlier_min_history_months') }}
                then
                    0.6745 * (compared_quantity - baseline_median)
                    / greatest(median_absolute_deviation, 1, 0.1 * baseline_median)
        end as modified_z_score,
        coalesce(
            history_months >= {{ var('outlier_min_history_months') }}
            and abs(compared_quantity - baseline_median) >= {{ var('outlier_min_difference') }}
            and abs(
                0.6745 * (compared_quantity - baseline_median)
                / greatest(median_absolute_deviation, 1, 0.1 * baseline_median)
            )
            > {{ var('outlier_threshold') }},
            false
        ) as is_outlier
    from scored
)

select * from final
