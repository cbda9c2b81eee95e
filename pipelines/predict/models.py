"""BG/NBD (Fader, Hardie and Lee 2005) and Gamma-Gamma (Colombo and Jiang 1999; Fader,
Hardie and Lee 2005) fitted by maximum likelihood, and what they predict per customer.

Inputs are arrays of customers, or of distinct customer summaries with a weight each
(how many customers share it): fitting on the distinct (x, t_x, T) of millions of
customers is as exact as fitting on the customers and much cheaper.

Symbols as in the papers: x repeat purchase occasions, t_x time of the last one and T
the customer's age (both since the first purchase, in the time unit), m the mean value
of the repeat occasions. The likelihoods are the closed forms of the papers, written in
logs so that large x neither overflows nor loses precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special

# Parameters are fitted as logs (so they stay positive) from a start that suits data
# whose times are rescaled to about 0-10 units (see _time_scale).
_START = np.zeros(4)
_MAX_ITERATIONS = 2000


@dataclass(frozen=True)
class Fit:
    """One model's maximum-likelihood fit. `converged` is False, with the reason in
    `message`, when the optimiser stopped without meeting its tolerance or the result is
    not a usable model; the parameters are then not to be used."""

    model: str
    params: dict[str, float]
    log_likelihood: float
    customers: int
    converged: bool
    message: str
    iterations: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def _weights(weights: np.ndarray | None, size: int) -> np.ndarray:
    return np.ones(size) if weights is None else np.asarray(weights, dtype=float)


# --- BG/NBD ---------------------------------------------------------------------------


class _Counts:
    """The distinct repeat counts x of the rows and where each row's is: every term of
    the likelihoods that depends on x alone (the gamma and digamma functions, most of
    the cost) is evaluated once per distinct x, not once per row."""

    def __init__(self, x: np.ndarray) -> None:
        self.values, self.index = np.unique(x, return_inverse=True)

    def per_row(self, values: np.ndarray) -> np.ndarray:
        return values[self.index]


def _bgnbd_terms(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, counts: _Counts):
    """Per row: log-likelihood and its gradient in (r, alpha, a, b)."""
    r, alpha, a, b = params
    xs = counts.values
    repeat = x > 0
    ln_a12 = (
        special.gammaln(r + xs)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.gammaln(a + b)
        + special.gammaln(b + xs)
        - special.gammaln(b)
        - special.gammaln(a + b + xs)
    )
    ln_alpha_t = np.log(alpha + big_t)
    ln_alpha_tx = np.log(alpha + t_x)
    ln_a3 = -(r + x) * ln_alpha_t
    # Only customers with a repeat purchase can have dropped out after it.
    b_x1 = np.where(repeat, b + x - 1, 1.0)
    ln_a4 = np.where(repeat, np.log(a) - np.log(b_x1) - (r + x) * ln_alpha_tx, -np.inf)
    tail = np.logaddexp(ln_a3, ln_a4)
    w3 = np.exp(ln_a3 - tail)
    w4 = 1.0 - w3
    ll = counts.per_row(ln_a12) + tail

    d_r = counts.per_row(special.digamma(r + xs) - special.digamma(r) + np.log(alpha))
    d_r -= w3 * ln_alpha_t + w4 * ln_alpha_tx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + big_t) + w4 / (alpha + t_x))
    d_a = counts.per_row(special.digamma(a + b) - special.digamma(a + b + xs)) + w4 / a
    d_b = counts.per_row(
        special.digamma(a + b) + special.digamma(b + xs) - special.digamma(b) - special.digamma(a + b + xs)
    )
    d_b -= np.where(repeat, w4 / b_x1, 0.0)
    return ll, (d_r, d_alpha, d_a, d_b)


def _weighted_sums(w: np.ndarray, gradient: tuple[np.ndarray, ...]) -> np.ndarray:
    return np.array([np.dot(w, g) for g in gradient])


def bgnbd_log_likelihood(params, x, t_x, big_t, weights=None) -> float:
    """Total log-likelihood of (r, alpha, a, b) for the given customers."""
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    ll, _ = _bgnbd_terms(np.asarray(params, dtype=float), x, t_x, big_t, _Counts(x))
    return float(np.dot(_weights(weights, x.size), ll))


def _time_scale(big_t: np.ndarray) -> float:
    # alpha is in time units; rescaling times so the largest age is 10 keeps the
    # optimiser's start near any data set's optimum. The fit is then scaled back.
    top = float(np.max(big_t)) if big_t.size else 0.0
    return top / 10.0 if top > 0 else 1.0


def fit_bgnbd(x, t_x, big_t, weights=None) -> Fit:
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    w = _weights(weights, x.size)
    customers = round(float(w.sum()))
    scale = _time_scale(big_t)
    ts_x, ts_big = t_x / scale, big_t / scale
    total = w.sum()
    counts = _Counts(x)

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        ll, grad = _bgnbd_terms(params, x, ts_x, ts_big, counts)
        # Mean negative log-likelihood; the chain rule through exp() for the logs.
        value = -np.dot(w, ll) / total
        gradient = -_weighted_sums(w, grad) / total * params
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return np.inf, np.zeros_like(log_params)
        return value, gradient

    result = _minimize(objective, _START)
    r, alpha_scaled, a, b = np.exp(result.x)
    params = {"r": float(r), "alpha": float(alpha_scaled * scale), "a": float(a), "b": float(b)}
    ll = bgnbd_log_likelihood(list(params.values()), x, t_x, big_t, w)
    converged, message = _judge(result, ll, params)
    return Fit("bg_nbd", params, ll, customers, converged, message, int(result.nit))


def _minimize(objective, start: np.ndarray) -> optimize.OptimizeResult:
    """L-BFGS-B from `start`. Its line search can give up ('ABNORMAL', status 2) where
    the curvature it remembers misleads it, near a flat optimum above all, and where it
    does depends on the last bits of the arithmetic (the same data stopped there on one
    CPU and converged on another). One restart from that point with the memory
    cleared then converges or gives up again, and that second answer is the one judged.
    An iteration limit reached is not retried."""

    def run(x0: np.ndarray, iterations: int) -> optimize.OptimizeResult:
        options = {"maxiter": iterations, "gtol": 1e-9}
        return optimize.minimize(objective, x0, jac=True, method="L-BFGS-B", options=options)

    result = run(start, _MAX_ITERATIONS)
    if result.status != 2 or not np.all(np.isfinite(result.x)):
        return result
    # Status 2 is never the iteration limit, so some iterations are left.
    restart = run(result.x, _MAX_ITERATIONS - int(result.nit))
    restart.nit = int(restart.nit) + int(result.nit)
    return restart


def _judge(result: optimize.OptimizeResult, ll: float, params: dict[str, float]) -> tuple[bool, str]:
    if not result.success:
        return False, f"the optimiser stopped without converging: {result.message}"
    if not np.isfinite(ll):
        return False, "the log-likelihood at the fitted parameters is not finite"
    bad = [name for name, value in params.items() if not (np.isfinite(value) and 0 < value < 1e12)]
    if bad:
        return False, f"parameters out of range: {', '.join(bad)}"
    return True, "converged"


def _ratio_power(numerator, denominator, power) -> np.ndarray:
    # (numerator / denominator) ** power, kept finite for very large powers.
    return np.exp(np.minimum(power * (np.log(numerator) - np.log(denominator)), 700.0))


def probability_alive(params: dict[str, float], x, t_x, big_t) -> np.ndarray:
    """P(still active | x, t_x, T); 1 for a customer with no repeat purchase."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * _ratio_power(alpha + big_t, alpha + t_x, r + x), 0.0)
    return 1.0 / (1.0 + odds)


def expected_purchases(params: dict[str, float], horizon: float, x, t_x, big_t) -> np.ndarray:
    """E[X(horizon) | x, t_x, T]: expected repeat purchases in the next `horizon` units.

    The Gaussian hypergeometric function of the paper's equation (10) is taken through
    Euler's transformation, 2F1(r+x, b+x; c; z) = (1-z)^(c-r-b-2x) 2F1(c-r-x, c-b-x; c; z)
    with c = a+b+x-1: its parameters then stay small, so it neither overflows for
    customers with many purchases nor needs many terms."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    c = a + b + x - 1
    z = horizon / (alpha + big_t + horizon)
    series = _ratio_power(alpha + big_t, alpha + big_t + horizon, a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
    numerator = c / (a - 1) * (1.0 - series)
    return numerator * probability_alive(params, x, t_x, big_t)


# --- Gamma-Gamma ------------------------------------------------------------------------


def _gamma_gamma_terms(params: np.ndarray, x: np.ndarray, m: np.ndarray, counts: _Counts, log_xm: np.ndarray):
    """Per row: log-likelihood and its gradient in (p, q, v); log_xm = log(x m)."""
    p, q, v = params
    pxs = p * counts.values
    px = p * x
    ln_v_xm = np.log(v + x * m)
    ll = (
        counts.per_row(special.gammaln(pxs + q) - special.gammaln(pxs) - special.gammaln(q) + q * np.log(v))
        + px * log_xm
        - np.log(m)
        - (px + q) * ln_v_xm
    )
    psi_pq = special.digamma(pxs + q)
    d_p = x * (counts.per_row(psi_pq - special.digamma(pxs)) + log_xm - ln_v_xm)
    d_q = counts.per_row(psi_pq - special.digamma(q) + np.log(v)) - ln_v_xm
    d_v = q / v - (px + q) / (v + x * m)
    return ll, (d_p, d_q, d_v)


def gamma_gamma_log_likelihood(params, x, m, weights=None) -> float:
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    ll, _ = _gamma_gamma_terms(np.asarray(params, dtype=float), x, m, _Counts(x), np.log(x * m))
    return float(np.dot(_weights(weights, x.size), ll))


def fit_gamma_gamma(x, m, weights=None) -> Fit:
    """Fit on customers with x > 0 repeat purchases of mean value m > 0."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    w = _weights(weights, x.size)
    customers = round(float(w.sum()))
    # v is in money; fitting on values relative to their mean keeps the start near.
    scale = float(np.average(m, weights=w)) if m.size else 1.0
    scaled = m / scale
    total = w.sum()
    counts = _Counts(x)
    log_xm = np.log(x * scaled)

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        ll, grad = _gamma_gamma_terms(params, x, scaled, counts, log_xm)
        value = -np.dot(w, ll) / total
        gradient = -_weighted_sums(w, grad) / total * params
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return np.inf, np.zeros_like(log_params)
        return value, gradient

    result = _minimize(objective, np.zeros(3))
    p, q, v_scaled = np.exp(result.x)
    params = {"p": float(p), "q": float(q), "v": float(v_scaled * scale)}
    ll = gamma_gamma_log_likelihood(list(params.values()), x, m, w)
    converged, message = _judge(result, ll, params)
    if converged and params["q"] <= 1:
        # The population mean spend p v / (q - 1) is infinite: not a usable model.
        converged, message = False, f"q = {params['q']:.4g} <= 1: the mean spend is unbounded"
    return Fit("gamma_gamma", params, ll, customers, converged, message, int(result.nit))


def population_mean_value(params: dict[str, float]) -> float:
    """Expected value of a purchase of a customer about whom nothing is known yet."""
    return params["p"] * params["v"] / (params["q"] - 1)


def expected_order_value(params: dict[str, float], x, m) -> np.ndarray:
    """E[M | x, m]: a weighted mean of the population mean and the customer's own mean
    (more weight on the latter the more repeat purchases there are). x = 0 gives the
    population mean; a mean m below 0 (returns beyond the sales) counts as 0."""
    p, q, v = params["p"], params["q"], params["v"]
    x = np.asarray(x, dtype=float)
    m = np.clip(np.nan_to_num(np.asarray(m, dtype=float), nan=0.0), 0.0, None)
    return p * (v + x * m) / (p * x + q - 1)
