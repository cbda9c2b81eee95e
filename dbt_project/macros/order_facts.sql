{#- The order facts kept from run to run, like the month-end history: on an incremental
    run they recompute only the orders whose inputs changed since the last complete build
    (int_orders__recomputed), or everything when int_order_facts_scope says so. -#}

{#- The kept order fact models, each keyed by order (converted and valued orders,
    lines) or by customer (order days and what was known on each). -#}
{% macro order_fact_model_names() -%}
    {{ return(['int_orders__converted', 'int_order_lines__valued', 'int_orders__valued']
        + customer_order_fact_model_names()) }}
{%- endmacro %}

{% macro customer_order_fact_model_names() -%}
    {{ return(['int_customer_order_days', 'int_customer_order_history']) }}
{%- endmacro %}


{#- Whether this run recomputes only some orders: an incremental build of a kept model
    whose scope does not recompute everything. Read when the model runs, after the scope
    was built by the same dbt invocation. -#}
{% macro recomputes_some_orders() -%}
    {#- A unit test builds the model whole from its given rows alone. -#}
    {%- if model.resource_type == 'unit_test' -%}{{ return(false) }}{%- endif -%}
    {%- set scope = ref('int_order_facts_scope') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query('select recompute_all from ' ~ scope) -%}
    {{ return(not found.columns[0].values()[0]) }}
{%- endmacro %}


{#- A condition keeping the rows of the orders this run recomputes: every row on a
    whole build. The refs are taken either way, so dbt orders the models. -#}
{% macro recomputed_orders_only(column='order_id', keyword='where') -%}
    {%- if model.resource_type == 'unit_test' -%}{{ return('') }}{%- endif -%}
    {%- set recomputed = ref('int_orders__recomputed') -%}
    {%- if recomputes_some_orders() -%}
    {{ keyword }} {{ column }} in (select order_id from {{ recomputed }})
    {%- endif -%}
{%- endmacro %}


{#- The customers whose order days this run recomputes: those a recomputed order
    belonged to before and belongs to now. -#}
{% macro recomputed_customers_only(column='customer_id', keyword='where') -%}
    {%- if model.resource_type == 'unit_test' -%}{{ return('') }}{%- endif -%}
    {%- set recomputed = ref('int_orders__recomputed') -%}
    {%- set orders = ref('int_orders__valued') -%}
    {%- if recomputes_some_orders() -%}
    {{ keyword }} {{ column }} in ({{ recomputed_customers(recomputed, orders) }})
    {%- endif -%}
{%- endmacro %}


{#- A query for the customers of the recomputed orders, before and after. -#}
{% macro recomputed_customers(recomputed, orders) -%}
    select previous_customer_id from {{ recomputed }} where previous_customer_id is not null
    union
    select customer_id from {{ orders }} where order_id in (select order_id from {{ recomputed }})
{%- endmacro %}


{#- Before a kept order fact model inserts: drop the rows it recomputes (every row on a
    whole recompute). -#}
{% macro delete_recomputed_orders() -%}
    {%- if is_incremental() -%}
    {%- if recomputes_some_orders() -%}
    delete from {{ this }}
    {% if this.identifier in customer_order_fact_model_names() -%}
    {{ recomputed_customers_only() }}
    {%- else -%}
    {{ recomputed_orders_only() }}
    {%- endif %}
    {%- else -%}
    delete from {{ this }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The config every kept order fact model shares. -#}
{% macro order_facts_config() -%}
    {{ config(
        materialized=history_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_recomputed_orders() }}",
    ) }}
{%- endmacro %}


{#- The rows of a kept order fact model that the last build of it recomputed, as a
    condition; none when it recomputed every row (or there is no record of it). -#}
{% macro recomputed_order_fact_rows(relation) -%}
    {%- set scope = adapter.get_relation(database=relation.database, schema='intermediate', identifier='int_order_facts_scope') -%}
    {%- set recomputed = adapter.get_relation(database=relation.database, schema='intermediate', identifier='int_orders__recomputed') -%}
    {%- if scope is none or recomputed is none or not has_columns(scope, ['recompute_all']) -%}
        {{ return('') }}
    {%- endif -%}
    {%- if run_query('select recompute_all from ' ~ scope).columns[0].values()[0] -%}
        {{ return('') }}
    {%- endif -%}
    {%- if relation.identifier in customer_order_fact_model_names() -%}
        {%- set orders = adapter.get_relation(database=relation.database, schema='intermediate', identifier='int_orders__valued') -%}
        {{ return('customer_id in (' ~ recomputed_customers(recomputed, orders) ~ ')') }}
    {%- endif -%}
    {{ return('order_id in (select order_id from ' ~ recomputed ~ ')') }}
{%- endmacro %}
