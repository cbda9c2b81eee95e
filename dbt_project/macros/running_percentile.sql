{#- The p-th percentile (linear interpolation) of `expr` over all rows of the partition
    up to and including the current one in `order_by` order: a windowed percentile.
    DuckDB and Spark compute it as a window aggregate. PostgreSQL has no windowed
    percentile_cont: there it is the percentile_cont aggregate over the same rows read
    again from `relation` (the model's source of the rows, `alias` in the query), so
    `expr`, `order_by` and `partition_by` must be columns of it; an index on
    (partition_by, order_by) keeps that to one short range scan per row. -#}
{% macro running_percentile(expr, p, order_by, partition_by=none, relation=none, alias=none) -%}
    {{ return(adapter.dispatch('running_percentile')(expr, p, order_by, partition_by, relation, alias)) }}
{%- endmacro %}

{% macro duckdb__running_percentile(expr, p, order_by, partition_by, relation, alias) -%}
    quantile_cont({{ expr }}, {{ p }}) over (
        {% if partition_by %}partition by {{ partition_by }}{% endif %}
        order by {{ order_by }}
        range between unbounded preceding and current row
    )
{%- endmacro %}

{% macro spark__running_percentile(expr, p, order_by, partition_by, relation, alias) -%}
    percentile({{ expr }}, {{ p }}) over (
        {% if partition_by %}partition by {{ partition_by }}{% endif %}
        order by {{ order_by }}
        range between unbounded preceding and current row
    )
{%- endmacro %}

{% macro postgres__running_percentile(expr, p, order_by, partition_by, relation, alias) -%}
    {%- if relation is none or alias is none -%}
        {{ exceptions.raise_compiler_error(
            "running_percentile on postgres needs the relation the rows come from and its alias") }}
    {%- endif -%}
    (
        select percentile_cont({{ p }}) within group (order by earlier.{{ expr }})
        from {{ relation }} as earlier
        where earlier.{{ order_by }} <= {{ alias }}.{{ order_by }}
            {%- if partition_by %}
            and earlier.{{ partition_by }} = {{ alias }}.{{ partition_by }}
            {%- endif %}
    )
{%- endmacro %}

{% macro default__running_percentile(expr, p, order_by, partition_by, relation, alias) -%}
    {{ exceptions.raise_compiler_error(
        "running_percentile has no implementation for the " ~ target.type ~ " adapter") }}
{%- endmacro %}
