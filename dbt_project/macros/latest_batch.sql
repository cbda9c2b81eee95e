{#- One row per key: the row from the latest batch (batches sort by file name), so a
    later batch that restates a record replaces it.

    In an incremental staging model (incremental=true) only the raw rows loaded since the model last ran
    are read (`_loaded_at` is ascending in load order, so DuckDB skips the row groups of
    earlier loads); `keep_latest` then settles each key they touch against the row
    already in the model. The last load is read again (>=): a load and a run within
    the same clock tick must not lose rows, and a row read twice settles to itself. -#}
{% macro latest_batch(relation, key_columns, incremental=false) -%}
select * from (
    select
        *,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by _batch desc, _row_number desc
        ) as _batch_rank
    from {{ relation }}
    {% if incremental and is_incremental() -%}
    where _loaded_at >= (select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {%- endif %}
) as ranked
where _batch_rank = 1
{%- endmacro %}


{#- The final select of an incremental staging model: new rows as they are on a full
    build; on an incremental run, for each key they touch, whichever of the new row and
    the row already in the model comes from the later batch. With delete+insert on the
    key, the model then holds exactly what a full build would. -#}
{% macro keep_latest(final_cte, key_columns) -%}
{% if is_incremental() -%}
select * exclude (_keep_rank) from (
    select
        *,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by batch desc, loaded_at desc
        ) as _keep_rank
    from (
        select * from {{ final_cte }}
        union all by name
        select * from {{ this }} as existing
        where exists (
            select 1 from {{ final_cte }} as touched
            where {% for key in key_columns %}touched.{{ key }} = existing.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
        )
    ) as candidates
) as settled
where _keep_rank = 1
{%- else -%}
select * from {{ final_cte }}
{%- endif %}
{%- endmacro %}
