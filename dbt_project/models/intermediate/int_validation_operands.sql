-- grain: one row per operand × scope instance (commune × month or source × month) that the
-- validation rules can compare; commune_code is '' for source-month operands
with

output_rows as (
    select * from {{ ref('int_output_rows_resolved') }}
),

monthly_files as (
    select * from {{ ref('int_submissions_resolved') }}
    where file_kind = 'monthly'
),

key_communes as (
    select * from {{ ref('stg_reference__key_area_communes') }}
),

counselling as (
    select
        source_code,
        report_month,
        commune_code,
        cast(sum(people_reached) as double) as people_reached
    from output_rows
    where output_type_code = 'tu_van' and commune_code is not null
    group by source_code, report_month, commune_code
),

source_months as (
    select
        monthly_files.source_code,
        monthly_files.report_month,
        coalesce(sum(output_rows.quantity) filter (
            where output_rows.topic_code = 'mua_ban_nguoi'
            and output_rows.output_group = 'grassroots'
        ), 0) as trafficking_grassroots_activities,
        count(output_rows.output_row_id) filter (
            where output_rows.output_type_code = 'chieu_phim'
            and output_rows.people_reached is null
        ) as film_screenings_without_people
    from monthly_files
    left join output_rows
        on monthly_files.submission_id = output_rows.submission_id
    group by monthly_files.source_code, monthly_files.report_month
),

earlier_average as (
    select
        this_month.source_code,
        this_month.report_month,
        avg(earlier.trafficking_grassroots_activities) as monthly_average
    from source_months as this_month
    inner join source_months as earlier
        on
            this_month.source_code = earlier.source_code
            and year(this_month.report_month) = year(earlier.report_month)
            and this_month.report_month > earlier.report_month
    group by this_month.source_code, this_month.report_month
),

operands as (
    select
        'commune_month' as scope,
        source_code,
        report_month,
        commune_code,
        'counselling_people_reached' as operand_code,
        people_reached as operand_value
    from counselling
    union all
    select
        'commune_month' as scope,
        counselling.source_code,
        counselling.report_month,
        counselling.commune_code,
        'commune_at_risk_population' as operand_code,
        cast(key_communes.at_risk_population as double) as operand_value
    from counselling
    inner join key_communes
        on
            counselling.commune_code = key_communes.commune_code
            and counselling.report_month >= key_communes.valid_from
            and (
                key_communes.valid_to is null
                or counselling.report_month <= key_communes.valid_to
            )
    union all
    select
        'source_month' as scope,
        source_code,
        report_month,
        '' as commune_code,
        'trafficking_grassroots_activities' as operand_code,
        cast(trafficking_grassroots_activities as double) as operand_value
    from source_months
    union all
    select
        'source_month' as scope,
        source_code,
        report_month,
        '' as commune_code,
        'film_screenings_without_people' as operand_code,
        cast(film_screenings_without_people as double) as operand_value
    from source_months
    union all
    select
        'source_month' as scope,
        source_code,
        report_month,
        '' as commune_code,
        'trafficking_grassroots_monthly_average' as operand_code,
        monthly_average as operand_value
    from earlier_average
)

select * from operands
