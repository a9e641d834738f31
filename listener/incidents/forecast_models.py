"""The fitted growth models behind the spread forecast, rebuilt from their JSON parameters.

Reads no config. Each model turns the reply times seen so far into quantiles (at `forecast_grid.LEVELS`) of
the growth g = log(1 + N(horizon)) − log(1 + N(age)):

* `sh` — the Szabo–Huberman log-linear rule: log N(horizon) = log N(age) + c(age, horizon) + noise, with the
  noise quantiles measured per grid cell (the count alone decides).
* `loglin` — a location-scale log-linear regression per cell on early-event features (the count, the replies
  in the last half and quarter of the age, the time since the last reply): g = x·β + exp(x·γ)·z, with the
  quantiles of z measured on the train curves of that cell. It sees speed, which the count alone does not.
* `hawkes` — a self-exciting (SEISMIC-style) estimate: a power-law memory kernel φ fitted per kind, the
  thread's infectiousness p with a Gamma posterior (prior fitted per kind, updated by the replies seen against
  their exposure Σ Φ(age − t_i)), and the expected future replies p·D/(1 − p·κ) at the posterior quantiles of p.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

import numpy as np

from listener.incidents import forecast_grid
from listener.incidents.forecast_grid import LEVELS


class GrowthModel(Protocol):
    name: str

    def growth(self, times: np.ndarray, age_s: float, horizon_s: float) -> np.ndarray:
        """Quantiles of log-growth from `age_s` to `horizon_s` (> age_s) given the reply times so far."""
        ...


def _dense(rows: Any, width: int) -> np.ndarray:
    """A JSON [age][horizon][value] table (null for cells with horizon <= age) as a float array with NaN."""
    shape = (len(forecast_grid.AGES_S), len(forecast_grid.HORIZONS_S), width)
    out = np.full(shape, np.nan)
    for i, row in enumerate(rows):
        for j, values in enumerate(row):
            if values is not None:
                out[i, j] = values
    return out


class ShModel:
    """log(1+N(h)) = log(1+N(a)) + quantile of the residual in the cell (a, h)."""

    name = "sh-loglinear"

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.table = _dense(spec["sh"]["residuals"], len(LEVELS))

    def growth(self, times: np.ndarray, age_s: float, horizon_s: float) -> np.ndarray:
        return forecast_grid.growth_at(lambda i, j: self.table[i, j], age_s, horizon_s)


def features(times: np.ndarray, age_s: float, hawkes: "HawkesModel") -> np.ndarray:
    """Early-event features of a thread at `age_s`: 1, log(1+n), log(1+replies in the last half of the age),
    log(1+replies in the last quarter), log(1 + minutes since the last reply), log(1+n)², the log of the
    Hawkes infectiousness (replies per unit of kernel exposure: speed measured against the kernel's memory)
    and its product with log(1+n)."""
    return features_at(times, np.array([float(age_s)]), hawkes)[0]


def features_at(times: np.ndarray, ages: np.ndarray, hawkes: "HawkesModel") -> np.ndarray:
    """`features` at several ages at once (one row per age; the replies after each age are ignored)."""
    n = np.searchsorted(times, ages, side="right")
    half = n - np.searchsorted(times, ages / 2, side="right")
    quarter = n - np.searchsorted(times, ages * 0.75, side="right")
    last = np.where(n > 0, times[np.maximum(n - 1, 0)] if times.size else 0.0, 0.0)
    quiet = (ages - last) / 60.0
    exposure = hawkes.root * kernel_cdf(ages, hawkes.s0, hawkes.theta)
    if times.size:
        exposure = exposure + kernel_cdf(ages[:, None] - times[None, :], hawkes.s0, hawkes.theta).sum(axis=1)
    log_n = np.log1p(n)
    log_p = np.log((hawkes.shape + n) / (hawkes.rate + exposure))
    return np.column_stack([np.ones(ages.size), log_n, np.log1p(half), np.log1p(quarter), np.log1p(quiet),
                            log_n * log_n, log_p, log_p * log_n])


class LogLinModel:
    """g = x·β + exp(x·γ)·z per cell, x = `features` at the thread's real age."""

    name = "loglin-quantile"

    def __init__(self, spec: Mapping[str, Any]) -> None:
        params = spec["loglin"]
        self.hawkes = HawkesModel(spec)
        width = len(features(np.zeros(0), 1.0, self.hawkes))
        self.coef = _dense(params["coef"], width)
        self.scale = _dense(params["scale"], width)
        self.z = _dense(params["z"], len(LEVELS))

    def growth(self, times: np.ndarray, age_s: float, horizon_s: float) -> np.ndarray:
        x = features(times, age_s, self.hawkes)
        return forecast_grid.growth_at(lambda i, j: self.cell(x, i, j), age_s, horizon_s)

    def cell(self, x: np.ndarray, i: int, j: int) -> np.ndarray:
        return float(x @ self.coef[i, j]) + np.exp(float(x @ self.scale[i, j])) * self.z[i, j]


def kernel_cdf(s: np.ndarray, s0: float, theta: float) -> np.ndarray:
    """Φ(s) of the normalised power-law kernel: flat up to s0, then decaying as s^-(1+θ) (SEISMIC's shape)."""
    s = np.maximum(s, 0.0)
    flat = s / s0 * theta / (1.0 + theta)
    tail = 1.0 - (np.maximum(s, s0) / s0) ** (-theta) / (1.0 + theta)
    return np.where(s <= s0, flat, tail)


_Z = np.array([-2.0537, -1.6449, -1.2816, -1.0364, -0.8416, -0.6745, -0.5244, -0.3853, -0.2533, -0.1257, 0.0,
               0.1257, 0.2533, 0.3853, 0.5244, 0.6745, 0.8416, 1.0364, 1.2816, 1.6449, 2.0537])  # normal at LEVELS


CRITICAL = 0.8  # cap on the branching p·κ: a thread read as supercritical grows 5-fold, not without bound


class HawkesModel:
    """Power-law-kernel Hawkes estimate with a Gamma posterior on the infectiousness p."""

    name = "hawkes-powerlaw"

    def __init__(self, spec: Mapping[str, Any]) -> None:
        params = spec["hawkes"]
        self.s0, self.theta = float(params["s0"]), float(params["theta"])
        self.root = float(params["root_weight"])
        self.shape, self.rate = float(params["prior_shape"]), float(params["prior_rate"])

    def exposure(self, times: np.ndarray, moment: float) -> float:
        """Σ weight · Φ(moment − t) over the root and the replies: the attention the thread has had so far."""
        replies = float(kernel_cdf(moment - times, self.s0, self.theta).sum()) if times.size else 0.0
        return self.root * self.cdf(moment) + replies

    def cdf(self, s: float) -> float:
        """`kernel_cdf` of one lag."""
        if s <= self.s0:
            return max(s, 0.0) / self.s0 * self.theta / (1.0 + self.theta)
        return 1.0 - (s / self.s0) ** -self.theta / (1.0 + self.theta)

    def infectiousness(self, times: np.ndarray, age_s: float) -> float:
        """Posterior mean of p: (prior shape + replies) / (prior rate + exposure)."""
        return (self.shape + times.size) / (self.rate + self.exposure(times, age_s))

    def growth(self, times: np.ndarray, age_s: float, horizon_s: float) -> np.ndarray:
        n = times.size
        seen = self.exposure(times, age_s)
        shape, rate = self.shape + n, self.rate + seen
        direct = self.exposure(times, horizon_s) - seen  # kernel mass still to come
        kappa = self.cdf((horizon_s - age_s) / 2)
        p = shape / rate
        mean = p * direct / (1.0 - min(p * kappa, CRITICAL))  # children of the seen replies, and theirs
        # p uncertain (Gamma) and the replies themselves random (Poisson): a negative binomial, read here
        # through the Gamma law with its mean and variance
        variance = mean + mean * mean / shape
        future = _gamma_quantiles(mean * mean / max(variance, 1e-12), mean / max(variance, 1e-12)) if mean > 0 else 0.0
        return np.log1p(n + future) - np.log1p(n)


def _gamma_quantiles(shape: float, rate: float) -> np.ndarray:
    """Wilson–Hilferty quantiles of Gamma(shape, rate) at LEVELS."""
    c = 1.0 / (9.0 * max(shape, 1e-6))
    return shape / rate * np.maximum(1.0 - c + _Z * np.sqrt(c), 0.0) ** 3


MODELS: dict[str, type] = {"sh": ShModel, "loglin": LogLinModel, "hawkes": HawkesModel}


def build(method: str, params: Mapping[str, Any]) -> GrowthModel:
    """The model `method` ('sh', ...) from its parameters for one kind of thread."""
    try:
        return MODELS[method](params)
    except KeyError as err:
        raise ValueError(f"forecast parameters have no model '{method}' ({err}); "
                         f"known: {', '.join(sorted(MODELS))}") from err
