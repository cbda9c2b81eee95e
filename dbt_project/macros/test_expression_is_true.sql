{#- Generic test (model level): a boolean SQL expression over the model's columns
    that must hold for every row. A row fails when the expression is false or null,
    so write the rows it does not apply to into the expression
    (`first_order_date is null or ...`). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
