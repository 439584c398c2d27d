-- grain: one row per source in the registry
with

sources as (
    select * from {{ ref('ref_sources') }}
),

districts as (
    select distinct
        district_code,
        district_name
    from {{ ref('ref_admin_units') }}
),

final as (
    select
        sources.source_code,
        sources.source_name,
        sources.source_kind,
        case sources.source_kind
            when 'outlet_central' then 'Các cơ quan báo chí Trung ương thường trú'
            when 'outlet_provincial' then 'Báo Lạng Sơn, Đài Phát thanh và Truyền hình tỉnh'
            when 'district' then 'Phòng Văn hóa và Thông tin các huyện, thành phố'
            when 'department' then 'Sở Thông tin và Truyền thông'
        end as source_group_label_vi,
        sources.province_code,
        sources.district_code,
        districts.district_name,
        sources.valid_from,
        sources.valid_to,
        sources.submits_monthly,
        sources.reporters_on_beat,
        sources.contact_name,
        sources.contact_email,
        sources.contact_phone,
        sources.is_demo_contact
    from sources
    left join districts
        on sources.district_code = districts.district_code
)

select * from final
