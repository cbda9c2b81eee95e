{#- One row: the first month end this run recomputes in the month-end history, and why.
    Every month end from it on is recomputed, with the new month ends; those before it
    stay as they were built. From the first month end when there is no earlier build or
    when a business setting or a model's SQL changed (the fingerprint), else from the
    first month end on or after the earliest fact that differs from those the history
    was built from (a late FX rate or return, a restated order, a new referral), or
    from the first month end the history does not hold yet. An earlier run that
    started recomputing but did not finish the history recomputes its month ends too.
    None of it where the history is rebuilt whole each run (Spark). -#}
{%- set kept = history_materialization() == 'incremental' -%}
{%- set built = none -%}
{%- set previous = none -%}
{%- if execute and kept and not flags.FULL_REFRESH -%}
{%- set built = adapter.get_relation(database=this.database, schema='audit', identifier='built_history_inputs') -%}
{%- set previous = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
{%- endif -%}
{%- set columns = 'effective_date, fact_digest' -%}
{#- A record written by another version of the project, in other columns, is no record. -#}
{%- if built is not none and not has_columns(built, ['input_kind', 'effective_date', 'fact_digest', 'build_fingerprint', 'build_token', 'built_as_of']) -%}
{%- set built = none -%}
{%- endif -%}
{%- if previous is not none and not has_columns(previous, ['recompute_from', 'build_token']) -%}
{%- set previous = none -%}
{%- endif -%}

-- Compared only with an earlier build, read on every run: dbt orders the models by them.
-- depends_on: {{ ref('int_history_inputs') }}
-- depends_on: {{ ref('int_month_ends') }}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

{% if built is not none %}
month_ends as (
    select * from {{ ref('int_month_ends') }}
),

inputs as (
    select * from {{ ref('int_history_inputs') }}
),

built as (
    select * from {{ built }}
),

last_build as (
    select
        build_fingerprint,
        build_token,
        built_as_of
    from built
    where input_kind = 'build'
),

built_inputs as (
    select {{ columns }}
    from built
    where input_kind <> 'build'
),

changed_facts as (
    select added.effective_date
    from (
        select {{ columns }} from inputs
        except
        select {{ columns }} from built_inputs
    ) as added
    union all
    select removed.effective_date
    from (
        select {{ columns }} from built_inputs
        except
        select {{ columns }} from inputs
    ) as removed
),

{% endif %}
candidates as (
    {% if built is none %}
    select
        cast('1900-01-01' as date) as recompute_from,
        'no earlier build' as reason
    {% else %}
    select
        cast('1900-01-01' as date) as recompute_from,
        'settings or models changed' as reason
    from last_build
    where build_fingerprint <> '{{ history_fingerprint() }}'
    union all
    select
        cast({{ dbt.last_day('min(effective_date)', 'month') }} as date) as recompute_from,
        'changed facts' as reason
    from changed_facts
    having min(effective_date) is not null
    union all
    select
        min(month_ends.month_end) as recompute_from,
        'new month ends' as reason
    from month_ends
    cross join last_build
    where month_ends.month_end > last_build.built_as_of
    having min(month_ends.month_end) is not null
    {% if previous is not none %}
    union all
    select
        earlier.recompute_from,
        'unfinished earlier build' as reason
    from {{ previous }} as earlier
    cross join last_build
    where earlier.build_token <> last_build.build_token
    {% else %}
    union all
    select
        cast('1900-01-01' as date) as recompute_from,
        'no record of the earlier build' as reason
    {% endif %}
    {% endif %}
    union all
    -- Nothing to recompute: after every month end there can be.
    select
        cast('9999-12-31' as date) as recompute_from,
        'nothing changed' as reason
),

earliest as (
    select
        recompute_from,
        reason,
        row_number() over (order by recompute_from, reason) as candidate_rank
    from candidates
),

final as (
    select
        earliest.recompute_from,
        earliest.reason,
        params.as_of_date,
        '{{ history_fingerprint() }}' as fingerprint,
        '{{ invocation_id }}' as build_token
    from earliest
    cross join params
    where earliest.candidate_rank = 1
)

select * from final
