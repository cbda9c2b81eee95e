{#- One row per key: the row from the latest batch (batches sort by file name), so a
    later batch that restates a record replaces it.

    In an incremental staging model (incremental=true) only the raw rows loaded after
    the latest load the model holds are read (the loader stamps every load later than
    the one before; `_loaded_at` ascends in load order, so DuckDB skips the row groups
    of earlier loads); `keep_latest` then settles each key they touch against the row
    already in the model. -#}
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
    where _loaded_at > (select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {%- endif %}
) as ranked
where _batch_rank = 1
{%- endmacro %}


{#- The final select of an incremental staging model: new rows as they are on a full
    build; on an incremental run, for each key they touch, whichever of the new row and
    the row already in the model comes from the later batch (the new one on a tie).
    With delete+insert on the key, the model then holds exactly what a full build
    would. Plain joins and UNION ALL, so the macro runs on any warehouse dbt supports. -#}
{% macro keep_latest(final_cte, key_columns) -%}
{% if is_incremental() -%}
select {{ final_cte }}.*
from {{ final_cte }}
left join {{ this }} as existing
    on {% for key in key_columns %}existing.{{ key }} = {{ final_cte }}.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
where existing.batch is null or existing.batch <= {{ final_cte }}.batch
union all
select existing.*
from {{ this }} as existing
inner join {{ final_cte }}
    on {% for key in key_columns %}existing.{{ key }} = {{ final_cte }}.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
where existing.batch > {{ final_cte }}.batch
{%- else -%}
select * from {{ final_cte }}
{%- endif %}
{%- endmacro %}
