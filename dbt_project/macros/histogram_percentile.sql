{#- The p-th percentile (linear interpolation, as percentile_cont) of a value read from
    its histogram: an aggregate over rows of (value, rows up to and including this value
    in value order, total rows), one row per distinct value of a group. Whole-day gaps
    have few distinct values, so the histogram is small; and unlike percentile_cont,
    which holds every value of a group in memory, the grouping and window that build it
    can spill to disk. Empty groups give null. -#}
{% macro histogram_percentile(p, value, rows_up_to, total_rows) -%}
    {%- set position -%}({{ p }} * ({{ total_rows }} - 1)){%- endset -%}
    {#- Position h = p x (n - 1) in the sorted values (0-based), between the values at
        floor(h) and ceil(h): the first values whose running count passes each. -#}
    {%- set lower -%}min(case when {{ rows_up_to }} > floor({{ position }}) then {{ value }} end){%- endset -%}
    {%- set upper -%}min(case when {{ rows_up_to }} > ceil({{ position }}) then {{ value }} end){%- endset -%}
    cast({{ lower }} + max({{ position }} - floor({{ position }})) * ({{ upper }} - {{ lower }})
        as {{ type_double() }})
{%- endmacro %}
