{#- Generic test (model level): within_range for several columns in one scan. `ranges`
    is a list of {column, min_value, max_value} (either bound may be left out, both
    inclusive; nulls pass). Returns one row per column with values out of range: its
    name and how many rows, so a failure names the column (the pipeline reports it as
    within_range_<model>_<column>). -#}
{% test within_ranges(model, ranges) %}
with out_of_range as (
    select
    {%- for range in ranges %}
        {%- set column = range['column'] %}
        {%- if range.get('min_value') is none and range.get('max_value') is none %}
            {{ exceptions.raise_compiler_error(
                "within_ranges on " ~ model ~ "." ~ column ~ " needs min_value, max_value or both") }}
        {%- endif %}
        sum(case when {{ column }} is not null and (
            {%- if range.get('min_value') is not none %} {{ column }} < {{ range['min_value'] }}{% endif -%}
            {%- if range.get('min_value') is not none and range.get('max_value') is not none %} or{% endif -%}
            {%- if range.get('max_value') is not none %} {{ column }} > {{ range['max_value'] }}{% endif %}
        ) then 1 else 0 end) as out_{{ loop.index }}
        {{- "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for range in ranges -%}
select
    '{{ range["column"] }}' as column_name,
    out_{{ loop.index }} as out_of_range_rows
from out_of_range
where out_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
{% endtest %}
