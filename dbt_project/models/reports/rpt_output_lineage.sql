-- grain: one row per accepted file × what its rows count (kind of source, district, month,
-- output type, topic, group, whether the commune was a key area in the month): the rows the
-- report's figures select when they name the files they came from (figures.json, the last annex)
-- Incremental like fct_media_outputs, which it reads: a night recomputes only the source-months
-- whose winning file changed (new, corrected, or emptied); the pre-hook first removes their rows.
-- depends_on: {{ ref('int_submissions_resolved') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_source_months() }}"
) }}

with

outputs as (
    select * from {{ ref('fct_media_outputs') }}
    {% if is_incremental() %}
        where {{ source_month_key() }} in (
            {{ changed_source_months() }}
        )
    {% endif %}
),

key_areas as (
    select * from {{ ref('stg_reference__key_area_communes') }}
),

final as (
    -- a key area in the month of the row (the reform reused commune codes): a row matches at
    -- most the key-area entries of its commune valid that month, and none when it has none
    select distinct
        outputs.submission_id,
        outputs.source_code,
        outputs.source_kind,
        outputs.district_code,
        outputs.report_month,
        outputs.output_type_code,
        outputs.topic_code,
        outputs.output_group,
        key_areas.commune_code is not null as is_key_area
    from outputs
    left join key_areas
        on
            outputs.commune_code = key_areas.commune_code
            and outputs.report_month >= date_trunc('month', key_areas.valid_from)
            and (key_areas.valid_to is null or outputs.report_month <= key_areas.valid_to)
)

select * from final
