-- grain: one row per source × output type × month the source reported, with the month's count
-- scored against the source's own other months (modified z-score, Iglewicz and Hoaglin)
with

monthly_files as (
    select * from {{ ref('int_submissions_resolved') }}
    where file_kind = 'monthly'
),

output_rows as (
    select * from {{ ref('int_output_rows_resolved') }}
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

-- the other months within 24 months, campaign months left out of every baseline
history as (
    select
        scored.source_code,
        scored.output_type_code,
        scored.report_month,
        other.quantity as history_quantity
    from monthly_counts as scored
    inner join monthly_counts as other
        on
            scored.source_code = other.source_code
            and scored.output_type_code = other.output_type_code
            and scored.report_month <> other.report_month
            and other.report_month between scored.report_month - interval 24 month
            and scored.report_month + interval 24 month
            and not other.is_campaign_month
),

medians as (
    select
        source_code,
        output_type_code,
        report_month,
        count(*) as history_months,
        median(history_quantity) as baseline_median
    from history
    group by all
),

deviations as (
    select
        medians.source_code,
        medians.output_type_code,
        medians.report_month,
        medians.history_months,
        medians.baseline_median,
        median(abs(history.history_quantity - medians.baseline_median))
            as median_absolute_deviation
    from medians
    inner join history
        on
            medians.source_code = history.source_code
            and medians.output_type_code = history.output_type_code
            and medians.report_month = history.report_month
    group by all
),

scored as (
    select
        monthly_counts.source_code,
        monthly_counts.output_type_code,
        monthly_counts.report_month,
        monthly_counts.is_campaign_month,
        monthly_counts.quantity,
        coalesce(deviations.history_months, 0) as history_months,
        deviations.baseline_median,
        deviations.median_absolute_deviation,
        case
            when monthly_counts.is_campaign_month
                then monthly_counts.quantity / {{ var('campaign_factor') }}
            else monthly_counts.quantity
        end as compared_quantity
    from monthly_counts
    left join deviations
        on
            monthly_counts.source_code = deviations.source_code
            and monthly_counts.output_type_code = deviations.output_type_code
            and monthly_counts.report_month = deviations.report_month
),

final as (
    select
        source_code || ':' || strftime(report_month, '%Y-%m') || ':' || output_type_code
            as output_outlier_key,
        source_code,
        output_type_code,
        report_month,
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
