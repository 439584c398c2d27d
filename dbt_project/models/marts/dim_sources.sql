-- grain: one row per source in the registry
with

sources as (
    select * from {{ ref('stg_reference__sources') }}
),

kinds as (
    select * from {{ ref('stg_reference__source_kinds') }}
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
        -- what its figures are compared by across the 2025 reform: the district offices' work
        -- before it with the commune offices' after it (both local offices)
        case when kinds.is_local_office then 'local_office' else sources.source_kind end
            as source_role,
        kinds.group_label_vi as source_group_label_vi,
        kinds.sort_order as source_kind_sort_order,
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
    left join kinds
        on sources.source_kind = kinds.source_kind
    left join districts
        on sources.district_code = districts.district_code
    left join communes
        on
            sources.commune_code = communes.commune_code
            and sources.valid_from >= communes.valid_from
            and (communes.valid_to is null or sources.valid_from <= communes.valid_to)
)

select * from final
