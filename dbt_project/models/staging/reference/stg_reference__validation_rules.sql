-- grain: one row per validation rule
-- The ref_validation_rules seed as the models read it: they never ref a seed directly,
-- so a change of the seed's columns is absorbed here.
with

source as (
    select * from {{ ref('ref_validation_rules') }}
),

final as (
    select
        rule_code,
        rule_name_vi,
        rule_name_en,
        scope,
        left_operand,
        operator,
        right_operand,
        severity,
        applies_to_source_kind,
        applies_in_month_of_year
    from source
)

select * from final
