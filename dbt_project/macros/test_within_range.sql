{#- Generic test: every non-null value of the column lies between min_value and
    max_value, both inclusive. Either bound may be left out (none: no bound on that
    side). Nulls pass; test them with not_null where they must not occur. -#}
{% test within_range(model, column_name, min_value=none, max_value=none) %}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        "within_range on " ~ model ~ "." ~ column_name ~ " needs min_value, max_value or both") }}
{%- endif %}
select {{ column_name }} as out_of_range_value
from {{ model }}
where {{ column_name }} is not null
    and (
        {%- if min_value is not none %} {{ column_name }} < {{ min_value }}{% endif -%}
        {%- if min_value is not none and max_value is not none %} or{% endif -%}
        {%- if max_value is not none %} {{ column_name }} > {{ max_value }}{% endif %}
    )
{% endtest %}
