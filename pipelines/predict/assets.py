"""The customer-base models as one Dagster step: `marts/customer_predictions` and
`marts/clv_model`, fitted on `intermediate/int_customer_clv_inputs`. The predictions
gate (blocking) validates both before the marts that read them are built."""

import dagster as dg

from pipelines.core.catalog import column_schemas
from pipelines.core.resources import RunParameters
from pipelines.core.warehouse import WarehouseResource
from pipelines.predict.estimate import Settings, estimate

PREDICTIONS_KEY = dg.AssetKey(["marts", "customer_predictions"])
MODEL_KEY = dg.AssetKey(["marts", "clv_model"])
INPUTS_KEY = dg.AssetKey(["intermediate", "int_customer_clv_inputs"])


def _fit_metadata(outcome, model: str) -> dict:
    fit = getattr(outcome, model)
    metadata: dict = {"status": outcome.status[model]}
    if fit is not None:
        metadata.update({name: float(value) for name, value in fit.params.items()})
        metadata.update(log_likelihood=float(fit.log_likelihood), customers_fitted=fit.customers)
    return metadata


@dg.multi_asset(
    name="customer_base_models",
    specs=[
        dg.AssetSpec(
            PREDICTIONS_KEY,
            deps=[INPUTS_KEY],
            group_name="predict",
            description=(
                "Per customer with an order: P(alive), expected repeat order days in the next 90 "
                "and 365 days, expected order value and predicted revenue over 365 days, from the "
                "BG/NBD and Gamma-Gamma models (SPEC section 8)."
            ),
        ),
        dg.AssetSpec(
            MODEL_KEY,
            deps=[INPUTS_KEY],
            group_name="predict",
            description="The fitted BG/NBD and Gamma-Gamma parameters of the run, with the holdout check.",
        ),
    ],
)
def customer_base_models(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, run_parameters: RunParameters
):
    settings = Settings(
        min_repeat_customers=int(run_parameters.var("clv_min_repeat_customers")),
        holdout_days=int(run_parameters.var("clv_holdout_days")),
    )
    with warehouse.connect(purpose="predict") as con:
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
