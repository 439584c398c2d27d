{#- The key a claimed address and a published one are matched on: the address without its
    scheme, a leading "www.", its fragment (#…) and trailing slashes, in lower case. A file's
    "https://www.baolangson.vn/bai-1/" and a feed's "http://baolangson.vn/bai-1" are one item;
    a query string is kept (on some sites it names the item: ?id=123). -#}
{% macro url_key(expression) -%}
    nullif(
        lower(regexp_replace(regexp_replace(regexp_replace(
            trim({{ expression }}), '#.*$', ''), '^[a-zA-Z]+://(www\.)?', ''), '/+$', '')),
        ''
    )
{%- endmacro %}
