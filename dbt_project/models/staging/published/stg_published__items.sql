-- grain: one row per item listed by a read
with

source as (
    select * from {{ source('published', 'published_items') }}
),

final as (
    select
        read_id || ':' || cast(item_number as varchar) as published_item_row_id,
        read_id,
        cast(item_number as integer) as item_number,
        source_code,
        item_url,
        {{ url_key('item_url') }} as item_url_key,
        nullif(trim(title), '') as title,
        nullif(trim(summary), '') as summary,  -- noqa: RF04
        nullif(trim(section), '') as section,
        cast(published_at as timestamptz) as published_at,
        cast(timezone('Asia/Ho_Chi_Minh', cast(published_at as timestamptz)) as date)
            as published_date
    from source
)

select * from final
