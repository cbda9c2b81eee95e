{#- Generic test (model level): expression_is_true for several boolean expressions in
    one scan. A row fails an expression when it is false or null. Returns one row per
    expression that some rows fail: its position in `expressions` (from 1) and how many
    rows, so a failure names the expression. -#}
{% test expressions_are_true(model, expressions) %}
with failing as (
    select
    {%- for expression in expressions %}
        sum(case when coalesce(({{ expression }}), false) then 0 else 1 end) as failing_{{ loop.index }}
        {{- "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for expression in expressions -%}
select
    {{ loop.index }} as expression_number,
    failing_{{ loop.index }} as failing_rows
from failing
where failing_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
{% endtest %}
