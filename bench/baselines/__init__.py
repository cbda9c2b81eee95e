"""Independent reference computations of the core-customer rules (SPEC section 4).

`pandas_rules` (pure pandas) and `floor` (one hand-written DuckDB script) compute
customer_value and pareto_summary straight from the landing files, without the
project's dbt models, so that the two can check the pipeline and each other.
"""
