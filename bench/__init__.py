"""The benchmark (`make bench`): the whole pipeline against the fastest possible (one
hand-written DuckDB script, `bench.baselines.floor`) and the usual alternative (pandas,
`bench.baselines.pandas_rules`), on the same demo landing files.

Modules: `run` (the command line and the plan), `measure` (wall time and peak memory of
a process tree, from outside), `contenders` (the floor and pandas entry points),
`dagster_stats` (step timings of a pipeline run), `data` (landing data per scale and the
extra day of the incremental run), `overhead` (where the pipeline's fixed time goes),
`report` (the table in docs/performance.md).
"""
