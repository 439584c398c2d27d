-- grain: one row per source in the registry
with

-- the source with its role, group and order (int_sources_classified)
sources as (
    select * from {{ ref('int_sources_classified') }}
),

districts as (
    select distinct
        district_code,
        district_name
    from {{ ref('stg_reference__admin_units') }}
    where district_code is not null
),

-- a commune office's commune, as valid when the office starts
communes as (
    select
        commune_code,
        commune_name,
        valid_from,
        valid_to
    from {{ ref('stg_reference__admin_units') }}
),

final as (
    select
        sources.source_code,
        sources.source_name,
        sources.source_kind,
        sources.source_role,
        sources.source_group_label_vi,
        sources.source_kind_sort_order,
        sources.province_code,
        sources.district_code,
        districts.district_name,
        sources.commune_code,
        communes.commune_name,
        sources.valid_from,
        sources.valid_to,
        -- the sources this one succeeds (the merged provincial outlet: both of the old ones)
        string_split(nullif(sources.predecessor_codes, ''), '|') as predecessor_codes,
        sources.submits_monthly,
        sources.reporters_on_beat,
        sources.contact_name,
        sources.contact_email,
        sources.contact_phone,
        sources.is_demo_contact
    from sources
    left join districts
        on sources.district_code = districts.district_code
    left join communes
        on
            sources.commune_code = communes.commune_code
            and sources.valid_from >= communes.valid_from
            and (communes.valid_to is null or sources.valid_from <= communes.valid_to)
)

select * from final
