{#- What differs between the engines the project builds on, besides the macros beside
    the rules that need them (running_percentile, round_to, type_double). -#}

{#- On Spark, the tables other steps write (the raw tables ingest shipped, the
    customer-base models' predictions) arrive as Parquet folders, passed by the
    pipeline as the var ccp_spark_tables ({schema.table: folder}); every dbt command
    registers them as tables before it builds. On DuckDB and PostgreSQL they are tables
    already. Run as an on-run-start hook. -#}
{% macro register_shipped_tables() -%}
    {{ return(adapter.dispatch('register_shipped_tables')()) }}
{%- endmacro %}

{% macro default__register_shipped_tables() -%}{%- endmacro %}

{% macro spark__register_shipped_tables() -%}
    {%- if execute -%}
        {%- for name, folder in var('ccp_spark_tables', {}).items() | sort -%}
            {%- do run_query('create database if not exists ' ~ name.split('.')[0]) -%}
            {%- do run_query('drop table if exists ' ~ name) -%}
            {%- do run_query("create table " ~ name ~ " using parquet location '" ~ folder ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- The staging models add only what was loaded since their last build (delete+insert
    on the key). Spark's Parquet tables have no delete; there they are rebuilt whole. -#}
{% macro staging_materialization() -%}
    {{ return(adapter.dispatch('staging_materialization')()) }}
{%- endmacro %}

{% macro default__staging_materialization() -%}incremental{%- endmacro %}

{% macro spark__staging_materialization() -%}table{%- endmacro %}


{#- dbt's last_day on DuckDB, for months: DuckDB's own last_day() rather than dbt's
    truncate, add a month and take off a day, which computes in timestamps and costs
    about twice as much; the month-end history takes it for every dated fact. -#}
{% macro duckdb__last_day(date, datepart) -%}
    {%- if datepart == 'month' -%}
    last_day(cast({{ date }} as date))
    {%- else -%}
    {{ dbt.default_last_day(date, datepart) }}
    {%- endif -%}
{%- endmacro %}
