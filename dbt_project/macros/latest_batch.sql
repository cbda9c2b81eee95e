{#- One row per key: the row from the latest batch (batches sort by file name), so a
    later batch that restates a record replaces it. -#}
{% macro latest_batch(relation, key_columns) -%}
select * from (
    select
        *,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by _batch desc, _row_number desc
        ) as _batch_rank
    from {{ relation }}
) as ranked
where _batch_rank = 1
{%- endmacro %}
