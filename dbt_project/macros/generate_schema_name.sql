{#- Models land in the schema named in their config (staging, intermediate, marts),
    not prefixed with the target schema, so warehouse locations match asset keys. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
