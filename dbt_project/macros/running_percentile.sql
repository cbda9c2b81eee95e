{#- The p-th percentile (linear interpolation) of `expr` over all rows of the partition
    up to and including the current one in `order_by` order: a windowed percentile.
    DuckDB and Spark compute it as a window aggregate; engines without one need an
    implementation here before customer_tier_history can run on them. -#}
{% macro running_percentile(expr, p, order_by, partition_by=none) -%}
    {{ return(adapter.dispatch('running_percentile')(expr, p, order_by, partition_by)) }}
{%- endmacro %}

{% macro duckdb__running_percentile(expr, p, order_by, partition_by) -%}
    quantile_cont({{ expr }}, {{ p }}) over (
        {% if partition_by %}partition by {{ partition_by }}{% endif %}
        order by {{ order_by }}
        range between unbounded preceding and current row
    )
{%- endmacro %}

{% macro spark__running_percentile(expr, p, order_by, partition_by) -%}
    percentile({{ expr }}, {{ p }}) over (
        {% if partition_by %}partition by {{ partition_by }}{% endif %}
        order by {{ order_by }}
        range between unbounded preceding and current row
    )
{%- endmacro %}

{% macro default__running_percentile(expr, p, order_by, partition_by) -%}
    {{ exceptions.raise_compiler_error(
        "running_percentile has no implementation for the " ~ target.type ~ " adapter") }}
{%- endmacro %}
