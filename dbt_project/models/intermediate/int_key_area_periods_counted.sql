-- grain: one row per period × key area (commune × the day it became one)
-- Each key area of a period with the rows of its communes in the months each was a key area
-- (the 2025 reform reused commune codes: an old commune and a new one may share a code): was
-- it counselled (I1), and how many of its people were reached, at most its population (I3).
with

members as (
    select * from {{ ref('int_key_area_members_resolved') }}
),

output_rows as (
    select * from {{ ref('int_output_rows_resolved') }}
),

final as (
    select
        members.period_code,
        members.province_code,
        members.district_code,
        members.commune_code,
        members.valid_from,
        any_value(members.at_risk_population) as at_risk_population,
        coalesce(bool_or(output_rows.output_type_code = 'tu_van'), false) as was_counselled,
        least(
            coalesce(sum(output_rows.people_reached) filter (
                where output_rows.topic_code = 'mua_ban_nguoi'
                and output_rows.output_group = 'grassroots'
            ), 0),
            any_value(members.at_risk_population)
        ) as people_reached_capped
    from members
    left join output_rows
        on
            members.member_code = output_rows.commune_code
            and output_rows.report_month
            between members.period_start_date and members.period_end_date
            and output_rows.report_month >= date_trunc('month', members.member_valid_from)
            and (
                members.member_valid_to is null
                or members.member_valid_to >= output_rows.report_month
            )
    group by
        members.period_code, members.province_code, members.district_code,
        members.commune_code, members.valid_from
)

select * from final
