-- grain: one row per source × month that is expected (registry) or was received
-- Each month's status, timeliness and trafficking outputs are worked out in
-- int_source_months_checked, where the models below the marts read them too.
with

source_months as (
    select * from {{ ref('int_source_months_checked') }}
),

final as (
    select * from source_months
)

select * from final
