"""The customer-base models as one Dagster step: `marts/customer_predictions` and
`marts/clv_model`, fitted on `intermediate/int_customer_clv_inputs`. The predictions
gate (blocking) validates both before the marts that read them are built."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from pipelines.core.catalog import column_schemas
from pipelines.core.engines import EngineResource
from pipelines.core.resources import RunParameters
from pipelines.core.shipping import ShippingError, fetch_tables, ship_tables
from pipelines.core.warehouse import WarehouseResource
from pipelines.predict.estimate import INPUTS, MODEL, PREDICTIONS, Settings, estimate

PREDICTIONS_KEY = dg.AssetKey(["marts", "customer_predictions"])
MODEL_KEY = dg.AssetKey(["marts", "clv_model"])
INPUTS_KEY = dg.AssetKey(["intermediate", "int_customer_clv_inputs"])
# The inputs are built in the same dbt step as the staged tables they come from, before
# the staging gate validates those. A failing blocking check stops only the assets that
# depend on its asset directly, so the models name tables the gate checks; the gate is
# one step, so any of its suites failing stops them.
GATED_UPSTREAM = [
    dg.AssetKey(["staging", "stg_sales__order_lines"]),
    dg.AssetKey(["staging", "stg_sales__returns"]),
    dg.AssetKey(["intermediate", "int_orders__converted"]),
]


def _fit_metadata(outcome, model: str) -> dict:
    fit = getattr(outcome, model)
    metadata: dict = {"status": outcome.status[model]}
    if fit is not None:
        metadata.update({name: float(value) for name, value in fit.params.items()})
        metadata.update(log_likelihood=float(fit.log_likelihood), customers_fitted=fit.customers)
    return metadata


def _split(relation: str) -> tuple[str, str]:
    schema, table = relation.split(".")
    return schema, table


@contextmanager
def models_connection(warehouse: WarehouseResource, engine: EngineResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """Where the models are fitted: the warehouse itself on the duckdb engine; on
    another engine a DuckDB in memory that holds the engine's per-customer inputs,
    whose results are shipped back to the engine for the marts to read."""
    if engine.is_duckdb:
        with warehouse.connect(purpose="predict") as con:
            # On a new warehouse no dbt step has built a mart yet.
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            yield con
        return
    scratch = warehouse.spill_dir("predict-ship")
    con = duckdb.connect(config=warehouse.duckdb_config("predict"))
    try:
        try:
            fetch_tables(engine, [_split(INPUTS), ("intermediate", "int_run_parameters")], con, scratch=scratch)
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            yield con
            ship_tables(con, engine, [_split(PREDICTIONS), _split(MODEL)], scratch=scratch)
        except ShippingError as exc:
            raise dg.Failure(description=str(exc)) from exc
    finally:
        con.close()


@dg.multi_asset(
    name="customer_base_models",
    specs=[
        dg.AssetSpec(
            PREDICTIONS_KEY,
            deps=[INPUTS_KEY, *GATED_UPSTREAM],
            group_name="predict",
            description=(
                "Per customer with an order: P(alive), expected repeat order days in the next 90 "
                "and 365 days, expected order value and predicted revenue over 365 days, from the "
                "BG/NBD and Gamma-Gamma models (SPEC section 8)."
            ),
        ),
        dg.AssetSpec(
            MODEL_KEY,
            deps=[INPUTS_KEY, *GATED_UPSTREAM],
            group_name="predict",
            description="The fitted BG/NBD and Gamma-Gamma parameters of the run, with the holdout check.",
        ),
    ],
)
def customer_base_models(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    engine: EngineResource,
    run_parameters: RunParameters,
):
    settings = Settings(
        min_repeat_customers=int(run_parameters.var("clv_min_repeat_customers")),
        holdout_days=int(run_parameters.var("clv_holdout_days")),
    )
    with models_connection(warehouse, engine) as con:
        outcome = estimate(con, settings)
        schemas = column_schemas(con, "marts")
    for model, status in outcome.status.items():
        log = context.log.info if status == "converged" else context.log.warning
        log(f"{model}: {status}")
    holdout = {k: v for k, v in outcome.holdout.items() if v is not None}
    yield dg.MaterializeResult(
        asset_key=PREDICTIONS_KEY,
        metadata={
            "customers": outcome.customers,
            **_fit_metadata(outcome, "bg_nbd"),
            "dagster/column_schema": schemas[tuple(PREDICTIONS_KEY.path)],
        },
    )
    yield dg.MaterializeResult(
        asset_key=MODEL_KEY,
        metadata={
            "bg_nbd": dg.MetadataValue.json(_fit_metadata(outcome, "bg_nbd")),
            "gamma_gamma": dg.MetadataValue.json(_fit_metadata(outcome, "gamma_gamma")),
            "holdout": dg.MetadataValue.json(holdout),
            "dagster/column_schema": schemas[tuple(MODEL_KEY.path)],
        },
    )
