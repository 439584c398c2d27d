-- grain: one row per validation rule × the scope instance it was evaluated on (commune × month
-- or source × month); an instance missing either side is skipped, as DHIS2's default does
with

rules as (
    select * from {{ ref('stg_reference__validation_rules') }}
),

operands as (
    select * from {{ ref('int_validation_operands') }}
),

sources as (
    select * from {{ ref('dim_sources') }}
),

left_side as (
    select
        rules.rule_code,
        rules.rule_name_vi,
        rules.rule_name_en,
        rules.scope,
        rules.left_operand,
        rules.operator,
        rules.right_operand,
        rules.severity,
        operands.source_code,
        operands.report_month,
        operands.commune_code,
        operands.operand_value as left_value
    from rules
    inner join operands
        on
            rules.scope = operands.scope
            and rules.left_operand = operands.operand_code
    inner join sources
        on operands.source_code = sources.source_code
    where
        (
            rules.applies_to_source_kind is null
            or list_contains(string_split(rules.applies_to_source_kind, '|'), sources.source_kind)
        )
        and (
            rules.applies_in_month_of_year is null
            or rules.applies_in_month_of_year = month(operands.report_month)
        )
),

evaluated as (
    select
        left_side.*,
        coalesce(try_cast(left_side.right_operand as double), right_side.operand_value)
            as right_value
    from left_side
    left join operands as right_side
        on
            left_side.scope = right_side.scope
            and left_side.right_operand = right_side.operand_code
            and left_side.source_code = right_side.source_code
            and left_side.report_month = right_side.report_month
            and left_side.commune_code = right_side.commune_code
),

final as (
    select
        rule_code || ':' || {{ source_month_key() }}
        || ':' || commune_code as validation_result_key,
        rule_code,
        rule_name_vi,
        rule_name_en,
        severity,
        source_code,
        report_month,
        nullif(commune_code, '') as commune_code,
        left_operand,
        left_value,
        operator,
        right_operand,
        right_value,
        case operator
            when '<=' then left_value <= right_value
            when '<' then left_value < right_value
            when '>=' then left_value >= right_value
            when '>' then left_value > right_value
            when '=' then left_value = right_value
            when '!=' then left_value != right_value
        end as is_satisfied
    from evaluated
    where right_value is not null
)

select * from final
