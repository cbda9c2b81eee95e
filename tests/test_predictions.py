"""The customer-base models (SPEC section 8): BG/NBD and Gamma-Gamma fitted by maximum
likelihood reproduce the published CDNOW estimates, on their own and through the whole
pipeline; the closed forms agree with cases worked out by hand; a fit that cannot be
made or does not converge is reported, never invented."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.checks.suites import load_suites
from pipelines.checks.validate import validate_suites
from pipelines.core.settings import Settings
from pipelines.ingest.contract import TABLES
from pipelines.predict import estimate as estimate_module
from pipelines.predict import models
from pipelines.predict.estimate import Settings as FitSettings
from pipelines.predict.estimate import estimate
from pipelines.run import failure_messages, run_refresh
from tests.conftest import write_csv

CDNOW = Path(__file__).parent / "fixtures" / "cdnow_sample.txt"
CALIBRATION_END = date(1997, 9, 30)
# Fader, Hardie and Lee (2005) and the Gamma-Gamma note of Fader and Hardie (2013).
PUBLISHED_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
PUBLISHED_EXPECTED_39 = 1.226
TABLE_BY_NAME = {table.name: table for table in TABLES}


def _cdnow_purchases() -> pd.DataFrame:
    frame = pd.read_csv(
        CDNOW, sep=r"\s+", header=None, names=["master_id", "customer", "day", "cds", "amount"], dtype=str
    )
    frame["day"] = pd.to_datetime(frame["day"], format="%Y%m%d").dt.date
    frame["amount"] = frame["amount"].astype(float)
    return frame


def _cdnow_summary() -> pd.DataFrame:
    """x, t_x, T (weeks) and m per customer, computed here independently of the dbt model."""
    purchases = _cdnow_purchases()
    days = purchases[purchases.day <= CALIBRATION_END].groupby(["customer", "day"], as_index=False)["amount"].sum()
    rows = []
    for customer, group in days.groupby("customer"):
        group = group.sort_values("day")
        first, last = group.day.iloc[0], group.day.iloc[-1]
        repeat = group.amount.iloc[1:]
        rows.append(
            {
                "customer": customer,
                "x": len(group) - 1,
                "t_x": (last - first).days / 7,
                "T": (CALIBRATION_END - first).days / 7,
                "m": repeat.mean() if len(repeat) else math.nan,
            }
        )
    return pd.DataFrame(rows)


def _within(fitted: dict[str, float], published: dict[str, float], tolerance: float = 0.005) -> dict:
    return {k: (fitted[k], v) for k, v in published.items() if abs(fitted[k] - v) > tolerance * v}


def test_the_fits_reproduce_the_published_cdnow_estimates():
    summary = _cdnow_summary()
    assert len(summary) == 2357

    bg_nbd = models.fit_bgnbd(summary.x, summary.t_x, summary["T"])
    assert bg_nbd.converged, bg_nbd.message
    assert _within(bg_nbd.params, PUBLISHED_BG_NBD) == {}
    # The paper's log-likelihood at its estimates is -9582.4.
    assert bg_nbd.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    expected = models.expected_purchases(bg_nbd.params, 39, [2], [30.43], [38.86])[0]
    assert expected == pytest.approx(PUBLISHED_EXPECTED_39, abs=0.001)

    repeaters = summary[summary.x > 0]
    gamma_gamma = models.fit_gamma_gamma(repeaters.x, repeaters.m)
    assert gamma_gamma.converged, gamma_gamma.message
    assert gamma_gamma.customers == 946
    assert _within(gamma_gamma.params, PUBLISHED_GAMMA_GAMMA) == {}


def test_fitting_distinct_summaries_with_counts_equals_fitting_every_customer():
    summary = _cdnow_summary()
    distinct = summary.groupby(["x", "t_x", "T"], as_index=False).size()
    assert len(distinct) < len(summary)
    each = models.fit_bgnbd(summary.x, summary.t_x, summary["T"])
    grouped = models.fit_bgnbd(distinct.x, distinct.t_x, distinct["T"], distinct["size"])
    assert grouped.customers == each.customers == 2357
    for name in ("r", "alpha", "a", "b"):
        assert grouped.params[name] == pytest.approx(each.params[name], rel=1e-5)
    assert grouped.log_likelihood == pytest.approx(each.log_likelihood, rel=1e-9)


def _stopping_short(monkeypatch, times: int) -> list[np.ndarray]:
    """Make L-BFGS-B's first `times` runs give up after three iterations, the way its
    line search stops ('ABNORMAL', status 2); later runs are real. Returns each run's start."""
    real = models.optimize.minimize
    starts: list[np.ndarray] = []

    def minimize(fun, x0, **kwargs):
        starts.append(np.array(x0, dtype=float))
        if len(starts) > times:
            return real(fun, x0, **kwargs)
        partial = real(fun, x0, **{**kwargs, "options": {**kwargs["options"], "maxiter": 3}})
        return models.optimize.OptimizeResult(
            x=partial.x, fun=partial.fun, jac=partial.jac, nit=3, success=False, status=2, message="ABNORMAL: "
        )

    monkeypatch.setattr(models.optimize, "minimize", minimize)
    return starts


def test_a_line_search_that_gives_up_is_restarted_once_from_where_it_stopped(monkeypatch):
    summary = _cdnow_summary()
    direct = models.fit_bgnbd(summary.x, summary.t_x, summary["T"])
    starts = _stopping_short(monkeypatch, times=1)
    fit = models.fit_bgnbd(summary.x, summary.t_x, summary["T"])
    assert fit.converged, fit.message
    assert len(starts) == 2
    assert not np.allclose(starts[1], starts[0])  # from the stopping point, not the start again
    assert fit.iterations > 3
    # The same optimum, to the flatness of the likelihood around it.
    assert _within(fit.params, PUBLISHED_BG_NBD) == {}
    assert fit.log_likelihood == pytest.approx(direct.log_likelihood, abs=1e-4)


def test_a_line_search_that_gives_up_twice_is_not_converged(monkeypatch):
    repeaters = _cdnow_summary().query("x > 0")
    starts = _stopping_short(monkeypatch, times=2)
    fit = models.fit_gamma_gamma(repeaters.x, repeaters.m)
    assert len(starts) == 2
    assert not fit.converged
    assert fit.message == "the optimiser stopped without converging: ABNORMAL: "


def test_the_closed_forms_on_cases_worked_out_by_hand():
    params = {"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 2.0}
    # x = 1, t_x = 1, T = 3: odds of having dropped out = a / (b + x - 1) x ((alpha + T) /
    # (alpha + t_x)) ^ (r + x) = 1/2 x (4/2)^2 = 2, so P(alive) = 1/3. No repeat: 1.
    assert models.probability_alive(params, [1, 0], [1, 0], [3, 3]) == pytest.approx([1 / 3, 1.0])
    # r = 1, alpha = 1, a = 2, b = 1, a new customer (x = 0, T = 0) over t = 1: z = 1/2,
    # 2F1(1, 1; 2; z) = -ln(1 - z) / z = 2 ln 2, so E[X(1)] = (a + b - 1) / (a - 1) x
    # (1 - (1/2) x 2 ln 2) = 2 (1 - ln 2).
    fresh = {"r": 1.0, "alpha": 1.0, "a": 2.0, "b": 1.0}
    assert models.expected_purchases(fresh, 1.0, [0], [0], [0])[0] == pytest.approx(2 * (1 - math.log(2)))
    # Longer horizons never expect fewer purchases; very frequent buyers stay finite.
    cdnow = PUBLISHED_BG_NBD
    short, long = (models.expected_purchases(cdnow, h, [3, 600], [20, 38], [39, 39]) for h in (13, 52))
    assert np.all(np.isfinite(long)) and np.all(long >= short)
    # Gamma-Gamma with p = 2, q = 3, v = 10: population mean p v / (q - 1) = 10; x = 2
    # repeat days of mean 40 -> p (v + x m) / (p x + q - 1) = 2 x 90 / 6 = 30; a mean
    # below 0 counts as 0 -> 2 x 10 / 6.
    spend = {"p": 2.0, "q": 3.0, "v": 10.0}
    assert models.population_mean_value(spend) == pytest.approx(10.0)
    assert models.expected_order_value(spend, [0, 2, 2], [np.nan, 40, -5]) == pytest.approx([10.0, 30.0, 20 / 6])


def _inputs_warehouse(path: Path, rows: list[tuple]) -> None:
    """A warehouse holding only what the customer-base step reads."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA intermediate; CREATE SCHEMA marts")
        con.execute("CREATE TABLE intermediate.int_run_parameters AS SELECT DATE '2025-12-31' AS as_of_date")
        con.execute(
            """CREATE TABLE intermediate.int_customer_clv_inputs (
                customer_id VARCHAR, repeat_order_days BIGINT, recency_units DOUBLE, age_units DOUBLE,
                mean_repeat_order_value DOUBLE, calibration_repeat_order_days BIGINT,
                calibration_recency_units DOUBLE, calibration_age_units DOUBLE,
                holdout_repeat_order_days BIGINT, time_unit_days INTEGER)"""
        )
        con.executemany("INSERT INTO intermediate.int_customer_clv_inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 7)", rows)


def _cdnow_input_rows() -> list[tuple]:
    summary = _cdnow_summary()
    return [
        (r.customer, r.x, r.t_x, r.T, None if math.isnan(r.m) else r.m, r.x, r.t_x, r.T, 0)
        for r in summary.itertuples()
    ]


def _predictions_gate(warehouse: Path):
    suites = load_suites(Settings.from_env({}).expectations_dir, "predictions", {})
    return {o.suite.name: o for o in validate_suites(warehouse, suites)}


def test_too_few_repeat_buyers_publishes_no_numbers_and_passes_the_gate(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    # Two customers, one repeat buyer: below clv_min_repeat_customers = 20.
    _inputs_warehouse(warehouse, [("A", 0, 0.0, 10.0, None, 0, 0.0, 5.0, 0), ("B", 2, 4.0, 10.0, 30.0, 1, 2.0, 5.0, 1)])
    with duckdb.connect(str(warehouse)) as con:
        outcome = estimate(con, FitSettings(min_repeat_customers=20, holdout_days=35))
        predictions = con.execute(
            "SELECT customer_id, p_alive, expected_orders_365d, expected_order_value FROM marts.customer_predictions"
        ).fetchall()
        model = con.execute("SELECT model, status, converged, r, p FROM marts.clv_model ORDER BY model").fetchall()
    assert outcome.status == {"bg_nbd": "too_few_repeat_buyers", "gamma_gamma": "too_few_repeat_buyers"}
    assert predictions == [("A", None, None, None), ("B", None, None, None)]
    assert model == [
        ("bg_nbd", "too_few_repeat_buyers", False, None, None),
        ("gamma_gamma", "too_few_repeat_buyers", False, None, None),
    ]
    gate = _predictions_gate(warehouse)
    assert all(o.success for o in gate.values()), [o.describe() for o in gate.values()]


def test_a_fit_that_does_not_converge_fails_the_gate_with_its_reason(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    _inputs_warehouse(warehouse, _cdnow_input_rows())
    real_fit = models.fit_bgnbd

    def stalled(*args, **kwargs):
        fit = real_fit(*args, **kwargs)
        return replace(fit, converged=False, message="the optimiser stopped without converging: ABNORMAL")

    monkeypatch.setattr(estimate_module.models, "fit_bgnbd", stalled)
    with duckdb.connect(str(warehouse)) as con:
        outcome = estimate(con, FitSettings(min_repeat_customers=20, holdout_days=35))
        predicted = con.execute("SELECT count(p_alive), count(expected_order_value) FROM marts.customer_predictions")
        predicted = predicted.fetchone()
    assert outcome.status["bg_nbd"] == "not_converged: the optimiser stopped without converging: ABNORMAL"
    # No BG/NBD numbers at all; the Gamma-Gamma fit stands on its own.
    assert predicted == (0, 2357)
    gate = _predictions_gate(warehouse)
    assert gate["predictions.customer_predictions"].success
    failed = gate["predictions.clv_model"]
    assert not failed.success
    assert "ABNORMAL" in failed.describe()


def _land_cdnow(landing: Path) -> None:
    purchases = _cdnow_purchases()
    first_day = purchases.groupby("customer").day.min()
    columns = [column.name for column in TABLE_BY_NAME["customers"].columns]
    write_csv(
        landing / "crm" / "customers" / "1997.csv",
        columns,
        [
            [
                {"customer_id": c, "customer_name": f"CDNOW {c}", "customer_type": "individual"}.get(name, "")
                if name != "created_at"
                else f"{d} 00:00:00"
                for name in columns
            ]
            for c, d in first_day.items()
        ],
    )
    orders, lines = [], []
    for number, row in enumerate(purchases.itertuples(), start=1):
        order_id = f"O{number:05d}"
        orders.append((order_id, row.customer, f"{row.day} 12:00:00", "web", "CNY", "completed", ""))
        lines.append((order_id, 1, "cd", "music", 1, f"{row.amount:.2f}", 0, 0))
    write_csv(
        landing / "sales" / "orders" / "1997.csv",
        ["order_id", "customer_id", "ordered_at", "channel", "currency", "status", "shipping_cost"],
        orders,
    )
    write_csv(
        landing / "sales" / "order_lines" / "1997.csv",
        [
            "order_id",
            "line_number",
            "product_id",
            "product_category",
            "quantity",
            "unit_price",
            "discount_amount",
            "unit_cost",
        ],
        lines,
    )
    write_csv(
        landing / "sales" / "fx_rates" / "1997.csv",
        ["rate_date", "currency", "rate_to_reporting"],
        [(date(1997, 1, 1) + timedelta(days=i), "USD", "8.28") for i in range(3)],
    )


@pytest.mark.slow
def test_the_pipeline_reproduces_the_cdnow_estimates_from_landed_transactions(workdir):
    _land_cdnow(workdir / "landing")
    settings = Settings.from_env()
    result = run_refresh(settings, as_of_date=CALIBRATION_END.isoformat())
    assert result.success, failure_messages(result)

    published = settings.publish_dir / "marts.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute("SELECT * FROM clv_model ORDER BY model").df().set_index("model")
        customer = con.execute(
            "SELECT repeat_order_days, recency_units, age_units FROM customer_predictions WHERE customer_id = '0001'"
        ).fetchone()
        joined = con.execute(
            "SELECT count(*), count(p_alive) FROM customer_value WHERE first_order_date IS NOT NULL"
        ).fetchone()
    bg_nbd, gamma_gamma = rows.loc["bg_nbd"], rows.loc["gamma_gamma"]
    assert bool(bg_nbd.converged) and bool(gamma_gamma.converged)
    assert (bg_nbd.customers_fitted, gamma_gamma.customers_fitted) == (2357, 946)
    assert bg_nbd.time_unit_days == 7 and str(bg_nbd.as_of_date)[:10] == "1997-09-30"
    assert _within(bg_nbd[list(PUBLISHED_BG_NBD)].to_dict(), PUBLISHED_BG_NBD) == {}
    assert _within(gamma_gamma[list(PUBLISHED_GAMMA_GAMMA)].to_dict(), PUBLISHED_GAMMA_GAMMA) == {}
    # The paper's example customer is the sample's first: x = 2, t_x = 30.43, T = 38.86.
    assert customer == (2, pytest.approx(30.43, abs=0.005), pytest.approx(38.86, abs=0.005))
    params = bg_nbd[list(PUBLISHED_BG_NBD)].astype(float).to_dict()
    assert models.expected_purchases(params, 39, [2], [30.43], [38.86])[0] == pytest.approx(
        PUBLISHED_EXPECTED_39, abs=0.001
    )
    assert joined == (2357, 2357)
