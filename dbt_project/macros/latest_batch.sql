{#- One row per key: the row from the latest batch (batches sort by file name), so a
    later batch that restates a record replaces it; within one batch, the later row.

    Only the keys landed more than once are ranked: a grouping on the key finds them,
    and every other row passes as it is. Ranking every row instead (row_number over
    the key) sorts the whole table, about 6 s more for 10M order lines. The relation
    is read three times rather than named once in a CTE, which DuckDB would hold in
    memory whole. Keys are never empty: ingest quarantines a row without one.

    In an incremental staging model (incremental=true) only the raw rows loaded after
    the latest load the model holds are read (the loader stamps every load later than
    the one before; `_loaded_at` ascends in load order, so DuckDB skips the row groups
    of earlier loads); `keep_latest` then settles each key they touch against the row
    already in the model. -#}
{% macro latest_batch(relation, key_columns, incremental=false) -%}
{%- set keys = key_columns | join(', ') -%}
{%- set since -%}
    {%- if incremental and is_incremental() %}
    where _loaded_at > (select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {%- endif -%}
{%- endset -%}
select landed.*
from (select * from {{ relation }}{{ since }}) as landed
left join (
    -- The latest row of each key landed more than once.
    select
        {% for key in key_columns %}candidates.{{ key }}, {% endfor %}candidates._batch as _latest_batch,
        max(candidates._row_number) as _latest_row_number
    from (select * from {{ relation }}{{ since }}) as candidates
    inner join (
        select {{ keys }}, max(_batch) as _latest_batch
        from {{ relation }}{{ since }}
        group by {{ keys }}
        having count(*) > 1
    ) as repeated
        on {% for key in key_columns %}candidates.{{ key }} = repeated.{{ key }} and {% endfor %}candidates._batch = repeated._latest_batch
    group by {% for key in key_columns %}candidates.{{ key }}, {% endfor %}candidates._batch
) as latest
    on {% for key in key_columns %}landed.{{ key }} = latest.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
where latest._latest_batch is null
    or (landed._batch = latest._latest_batch and landed._row_number = latest._latest_row_number)
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
