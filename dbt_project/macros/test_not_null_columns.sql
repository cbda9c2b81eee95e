{#- Generic test (model level): none of `columns` holds a null. One scan for all of
    them instead of one not_null test (and one dbt node) per column. Returns one row
    per column that has nulls: its name and how many rows are null, so a failure names
    the column (the pipeline reports it as not_null_<model>_<column>). -#}
{% test not_null_columns(model, columns) %}
with null_counts as (
    select
    {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}
        {{- "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for column in columns -%}
select
    '{{ column }}' as column_name,
    nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
{% endtest %}
