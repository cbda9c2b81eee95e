{#- The month-end history (int_customer_month_end_*, the one-time-buyer thresholds
    history, customer_tier_history) is kept from run to run. A month end depends only on
    facts dated on or before it, so a run recomputes the month ends from the first one
    that a changed input touches, and the new month ends; the rest stay as they were.
    int_history_recompute_from decides from where; models/marts/built_history_inputs
    records what the history was built from once the whole of it is built. -#}

{#- Incremental where tables can delete rows; Spark's Parquet tables cannot, so there
    the history is rebuilt whole each run. -#}
{% macro history_materialization() -%}
    {{ return(adapter.dispatch('history_materialization')()) }}
{%- endmacro %}

{% macro default__history_materialization() -%}incremental{%- endmacro %}

{% macro spark__history_materialization() -%}table{%- endmacro %}


{#- Before an incremental history model inserts its recomputed month ends: drop the
    month ends it recomputes and those after as_of_date. -#}
{% macro delete_recomputed_months(column='month_end') -%}
    {%- set bounds = ref('int_history_recompute_from') -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {{ column }} >= (select recompute_from from {{ bounds }})
        or {{ column }} > (select as_of_date from {{ bounds }})
    {%- endif -%}
{%- endmacro %}


{#- A where clause for an input of a history model: on an incremental run only the
    month ends it recomputes. The ref is taken either way, so dbt orders the models. -#}
{% macro recomputed_months_only(column='month_end', keyword='where') -%}
    {#- A unit test builds the model whole from its given rows alone. -#}
    {%- if model.resource_type == 'unit_test' -%}{{ return('') }}{%- endif -%}
    {%- set bounds = ref('int_history_recompute_from') -%}
    {%- if is_incremental() -%}
    {{ keyword }} {{ column }} >= (select recompute_from from {{ bounds }})
    {%- endif -%}
{%- endmacro %}


{#- The config every incremental history model shares. -#}
{% macro history_config() -%}
    {{ config(
        materialized=history_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_recomputed_months() }}",
    ) }}
{%- endmacro %}


{#- The business settings (dbt vars): a change to any of them rebuilds the whole
    history, those that do not enter it included, so that none is missed (a test holds
    this list to dbt_project.yml). as_of_date is not one: it only decides which month
    ends exist and which facts count, and those facts are compared one by one. -#}
{% macro history_setting_names() -%}
    {{ return([
        'reporting_currency', 'value_window_days', 'cost_to_serve_per_order',
        'pareto_a_cutoff', 'pareto_b_cutoff', 'pareto_top_customer_share',
        'profit_top_share', 'profit_bottom_share', 'old_customer_min_days',
        'at_risk_gap_multiplier', 'churn_gap_multiplier', 'min_at_risk_days', 'min_churn_days',
        'one_time_at_risk_percentile', 'one_time_churn_percentile',
        'key_account_weight_profit', 'key_account_weight_tenure', 'key_account_weight_stability',
        'key_account_weight_growth', 'key_account_weight_referrals', 'key_account_weight_engagement',
        'key_account_at_risk_penalty', 'key_account_churned_penalty', 'key_account_min_score',
        'publish_customer_names', 'churn_signal_days', 'returns_signal_share', 'discount_signal_share',
        'no_contact_days', 'loyal_min_active_months',
        'clv_time_unit_days', 'clv_holdout_days', 'clv_min_repeat_customers',
    ]) }}
{%- endmacro %}


{#- One text for the settings and the SQL of every model and seed: another value of
    either rebuilds the history in full. -#}
{% macro history_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for name in history_setting_names() -%}
        {%- do parts.append(name ~ '=' ~ (var(name) | string)) -%}
    {%- endfor -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
            {%- if node.resource_type in ('model', 'seed') -%}
                {%- do parts.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}


{#- The models that keep the month-end history, all keyed by month_end. -#}
{% macro history_model_names() -%}
    {{ return([
        'int_customer_month_end_changes', 'int_customer_month_end_orders',
        'int_customer_month_end_value', 'int_customer_month_end_rank_counts',
        'int_customer_month_end_key_account', 'int_customer_month_end_scores',
        'int_one_time_buyer_thresholds_history', 'customer_tier_history',
    ]) }}
{%- endmacro %}


{#- The data tests of a kept model read only what this run recomputed: a history
    model's month ends from the first recomputed one, an order fact model's recomputed
    orders or customers. The other rows were tested when they were built and have not
    changed since. Otherwise dbt's own: the rows of a test's `where` config. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append(config.get('where')) -%}
    {%- endif -%}
    {%- if execute and relation.identifier in history_model_names() and history_materialization() == 'incremental' -%}
        {%- set bounds = adapter.get_relation(database=relation.database, schema='intermediate', identifier='int_history_recompute_from') -%}
        {%- if bounds is not none -%}
            {%- do conditions.append('month_end >= (select recompute_from from ' ~ bounds ~ ')') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if execute and relation.identifier in order_fact_model_names() and history_materialization() == 'incremental' -%}
        {%- set recomputed_rows = recomputed_order_fact_rows(relation) -%}
        {%- if recomputed_rows -%}
            {%- do conditions.append(recomputed_rows) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- A fact's amount as compared from run to run: rounded to a millionth, so that a sum
    added up in another order is the same amount. DuckDB's amounts are decimals, whose
    sums are exact in any order: they are compared as they are (rounding 128-bit
    decimals costs as much as the rest of int_history_inputs). -#}
{% macro fact_amount(expr) -%}
    {{ return(adapter.dispatch('fact_amount')(expr)) }}
{%- endmacro %}

{% macro default__fact_amount(expr) -%}cast({{ round_to(expr, 6) }} as {{ type_double() }}){%- endmacro %}

{% macro duckdb__fact_amount(expr) -%}{{ expr }}{%- endmacro %}


{#- One value for a fact's values (empty ones included), the same whenever they are. -#}
{% macro fact_digest(columns) -%}
    {{ return(adapter.dispatch('fact_digest')(columns)) }}
{%- endmacro %}

{% macro default__fact_digest(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro duckdb__fact_digest(columns) -%}hash({{ columns | join(', ') }}){%- endmacro %}

{% macro spark__fact_digest(columns) -%}xxhash64({{ columns | join(', ') }}){%- endmacro %}


{#- Whether a relation in the warehouse has all these columns. -#}
{% macro has_columns(relation, names) -%}
    {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(names | reject('in', present) | list | length == 0) }}
{%- endmacro %}
