-- grain: one row per source (outlet, office, department) and its registration
-- The ref_sources seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_sources') }}
),

final as (
    select
        source_code,
        source_name,
        source_kind,
        province_code,
        district_code,
        commune_code,
        valid_from,
        valid_to,
        predecessor_codes,
        submits_monthly,
        reporters_on_beat,
        contact_name,
        contact_email,
        contact_phone,
        is_demo_contact,
        delivery_method,
        delivery_location,
        delivery_secret_env
    from source
)

select * from final
