"""From intermediate.int_customer_clv_inputs to marts.customer_predictions and
marts.clv_model (SPEC section 8), inside one DuckDB connection.

DuckDB does the per-customer work; pandas carries only the distinct (x, t_x, T)
summaries with how many customers share each, which is what the models are fitted on
and evaluated for. Per-customer predictions are joined back in SQL. Summaries are read
in a fixed order and summed in numpy, so the same inputs give the same fit to the last
bit (a parallel SQL sum of doubles need not).

When a model cannot be fitted, the tables still say so rather than guess:
`too_few_repeat_buyers` when fewer customers than clv_min_repeat_customers have a
repeat order day (or, for Gamma-Gamma, a positive repeat value); `not_converged: ...`
when the optimiser fails. Its predictions are then empty, and the predictions gate
fails a run whose fit did not converge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from pipelines.predict import models

INPUTS = "intermediate.int_customer_clv_inputs"
PREDICTIONS = "marts.customer_predictions"
MODEL = "marts.clv_model"

TOO_FEW = "too_few_repeat_buyers"
SHORT_HORIZON_DAYS = 90
LONG_HORIZON_DAYS = 365


@dataclass(frozen=True)
class Settings:
    min_repeat_customers: int
    holdout_days: int


@dataclass(frozen=True)
class Outcome:
    bg_nbd: models.Fit | None
    gamma_gamma: models.Fit | None
    customers: int
    status: dict[str, str]
    holdout: dict[str, object]


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _fit_bgnbd(summary: pd.DataFrame, min_repeat: int) -> tuple[models.Fit | None, str]:
    repeat_buyers = int(summary.loc[summary.x > 0, "customers"].sum())
    if repeat_buyers < min_repeat:
        return None, TOO_FEW
    fit = models.fit_bgnbd(summary.x, summary.t_x, summary.big_t, summary.customers)
    return fit, fit.message if fit.converged else f"not_converged: {fit.message}"


def _bgnbd_predictions(fit: models.Fit, summary: pd.DataFrame, unit_days: float) -> pd.DataFrame:
    out = summary[["x", "t_x", "big_t"]].copy()
    args = (summary.x.to_numpy(), summary.t_x.to_numpy(), summary.big_t.to_numpy())
    out["p_alive"] = models.probability_alive(fit.params, *args)
    out["expected_orders_90d"] = models.expected_purchases(fit.params, SHORT_HORIZON_DAYS / unit_days, *args)
    out["expected_orders_365d"] = models.expected_purchases(fit.params, LONG_HORIZON_DAYS / unit_days, *args)
    return out


def _holdout(con: duckdb.DuckDBPyConnection, settings: Settings, unit_days: float) -> dict[str, object]:
    """Refit on the calibration summaries and forecast the holdout's repeat order days,
    next to the naive forecast (each customer keeps its calibration rate x / T)."""
    # One row per calibration summary and holdout count: the errors are per customer.
    groups = _frame(
        con,
        f"""
        SELECT calibration_repeat_order_days AS x, calibration_recency_units AS t_x,
               calibration_age_units AS big_t, holdout_repeat_order_days AS actual, count(*) AS customers
        FROM {INPUTS}
        WHERE calibration_repeat_order_days IS NOT NULL
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        """,
    )
    summary = groups.groupby(["x", "t_x", "big_t"], as_index=False, sort=True)["customers"].sum()
    record: dict[str, object] = {
        "holdout_days": settings.holdout_days,
        "holdout_customers": int(summary.customers.sum()),
    }
    fit, status = _fit_bgnbd(summary, settings.min_repeat_customers)
    record["holdout_status"] = status
    if fit is None or not fit.converged:
        return record
    horizon = settings.holdout_days / unit_days
    x, t_x, big_t = (groups[c].to_numpy(dtype=float) for c in ("x", "t_x", "big_t"))
    actual, weight = groups.actual.to_numpy(dtype=float), groups.customers.to_numpy(dtype=float)
    predicted = models.expected_purchases(fit.params, horizon, x, t_x, big_t)
    naive = np.divide(x, big_t, out=np.zeros_like(x), where=big_t > 0) * horizon
    customers = weight.sum()
    record.update(
        holdout_predicted_orders=float(np.dot(weight, predicted)),
        holdout_actual_orders=float(np.dot(weight, actual)),
        holdout_mean_absolute_error=float(np.dot(weight, np.abs(predicted - actual)) / customers),
        naive_predicted_orders=float(np.dot(weight, naive)),
        naive_mean_absolute_error=float(np.dot(weight, np.abs(naive - actual)) / customers),
        holdout_r=fit.params["r"],
        holdout_alpha=fit.params["alpha"],
        holdout_a=fit.params["a"],
        holdout_b=fit.params["b"],
    )
    return record


def estimate(con: duckdb.DuckDBPyConnection, settings: Settings) -> Outcome:
    """Fit both models, write marts.customer_predictions and marts.clv_model."""
    as_of_date, unit_days, customers = con.execute(
        f"SELECT (SELECT as_of_date FROM intermediate.int_run_parameters), max(time_unit_days), count(*) FROM {INPUTS}"
    ).fetchall()[0]
    unit_days = float(unit_days or 1)
    summary = _frame(
        con,
        f"""
        SELECT repeat_order_days AS x, recency_units AS t_x, age_units AS big_t, count(*) AS customers
        FROM {INPUTS} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """,
    )
    bg_nbd, bg_status = _fit_bgnbd(summary, settings.min_repeat_customers)
    spend = _frame(
        con,
        f"""
        SELECT repeat_order_days AS x, mean_repeat_order_value AS m, count(*) AS customers
        FROM {INPUTS} WHERE repeat_order_days > 0 AND mean_repeat_order_value > 0 GROUP BY 1, 2 ORDER BY 1, 2
        """,
    )
    gamma_gamma: models.Fit | None = None
    if int(spend.customers.sum()) < settings.min_repeat_customers:
        gg_status = TOO_FEW
    else:
        gamma_gamma = models.fit_gamma_gamma(spend.x, spend.m, spend.customers)
        gg_status = gamma_gamma.message if gamma_gamma.converged else f"not_converged: {gamma_gamma.message}"
    holdout = _holdout(con, settings, unit_days)

    usable_bg = bg_nbd if bg_nbd is not None and bg_nbd.converged else None
    usable_gg = gamma_gamma if gamma_gamma is not None and gamma_gamma.converged else None
    _write_predictions(con, usable_bg, usable_gg, summary, unit_days, as_of_date)
    _write_model(
        con,
        [("bg_nbd", bg_nbd, bg_status, holdout), ("gamma_gamma", gamma_gamma, gg_status, {})],
        as_of_date,
        unit_days,
    )
    return Outcome(bg_nbd, gamma_gamma, int(customers), {"bg_nbd": bg_status, "gamma_gamma": gg_status}, holdout)


def _write_predictions(
    con: duckdb.DuckDBPyConnection,
    bg_nbd: models.Fit | None,
    gamma_gamma: models.Fit | None,
    summary: pd.DataFrame,
    unit_days: float,
    as_of_date: date,
) -> None:
    if bg_nbd is not None:
        forecast = _bgnbd_predictions(bg_nbd, summary, unit_days)
    else:
        forecast = summary[["x", "t_x", "big_t"]].assign(
            p_alive=np.nan, expected_orders_90d=np.nan, expected_orders_365d=np.nan
        )
    if gamma_gamma is not None:
        p, q, v = (gamma_gamma.params[k] for k in ("p", "q", "v"))
        # E[M | x, m] of the Gamma-Gamma model; x = 0: the population mean p v / (q - 1);
        # a repeat value below 0 counts as 0 (models.expected_order_value).
        order_value = (
            f"{p!r} * ({v!r} + i.repeat_order_days * greatest(coalesce(i.mean_repeat_order_value, 0), 0))"
            f" / ({p!r} * i.repeat_order_days + {q!r} - 1)"
        )
    else:
        order_value = "CAST(NULL AS DOUBLE)"
    con.register("bg_nbd_forecast", forecast)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TABLE {PREDICTIONS} AS
            SELECT
                i.customer_id,
                i.repeat_order_days,
                i.recency_units,
                i.age_units,
                i.mean_repeat_order_value,
                f.p_alive,
                f.expected_orders_90d,
                f.expected_orders_365d,
                {order_value} AS expected_order_value,
                f.expected_orders_365d * ({order_value}) AS predicted_revenue_365d,
                CAST(? AS DATE) AS as_of_date
            FROM {INPUTS} AS i
            JOIN bg_nbd_forecast AS f
              ON f.x = i.repeat_order_days AND f.t_x = i.recency_units AND f.big_t = i.age_units
            ORDER BY i.customer_id
            """,
            [as_of_date],
        )
    finally:
        con.unregister("bg_nbd_forecast")


_MODEL_COLUMNS = {
    "model": "VARCHAR",
    "status": "VARCHAR",
    "converged": "BOOLEAN",
    "r": "DOUBLE",
    "alpha": "DOUBLE",
    "a": "DOUBLE",
    "b": "DOUBLE",
    "p": "DOUBLE",
    "q": "DOUBLE",
    "v": "DOUBLE",
    "log_likelihood": "DOUBLE",
    "customers_fitted": "BIGINT",
    "iterations": "INTEGER",
    "as_of_date": "DATE",
    "time_unit_days": "DOUBLE",
    "holdout_days": "INTEGER",
    "holdout_status": "VARCHAR",
    "holdout_customers": "BIGINT",
    "holdout_predicted_orders": "DOUBLE",
    "holdout_actual_orders": "DOUBLE",
    "holdout_mean_absolute_error": "DOUBLE",
    "naive_predicted_orders": "DOUBLE",
    "naive_mean_absolute_error": "DOUBLE",
    "holdout_r": "DOUBLE",
    "holdout_alpha": "DOUBLE",
    "holdout_a": "DOUBLE",
    "holdout_b": "DOUBLE",
}


def _write_model(con, rows, as_of_date: date, unit_days: float) -> None:
    records = []
    for name, fit, status, holdout in rows:
        record = dict.fromkeys(_MODEL_COLUMNS)
        record.update(model=name, status=status, converged=bool(fit is not None and fit.converged))
        if fit is not None:
            record.update(fit.params)
            record.update(log_likelihood=fit.log_likelihood, customers_fitted=fit.customers, iterations=fit.iterations)
        record.update(as_of_date=as_of_date, time_unit_days=unit_days)
        record.update(holdout)
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=list(_MODEL_COLUMNS))
    con.register("clv_model_rows", frame)
    try:
        casts = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in _MODEL_COLUMNS.items())
        con.execute(f"CREATE OR REPLACE TABLE {MODEL} AS SELECT {casts} FROM clv_model_rows ORDER BY model")
    finally:
        con.unregister("clv_model_rows")
