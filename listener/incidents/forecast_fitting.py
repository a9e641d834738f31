"""Fitting the growth models of `forecast_models` on train curves of one kind of thread (numpy only).

Reads no config. Every grid cell (age, horizon) is fitted on the curves watched at least to that horizon; a cell
with fewer than `MIN_CELL` of them (e.g. Facebook threads were only watched for a day) takes the nearest
shorter horizon of the same age, i.e. assumes no growth after the end of observation.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from listener.incidents import forecast_grid, forecast_models
from listener.incidents.forecast_grid import AGES_S, HORIZONS_S, LEVELS
from listener.incidents.growth_curves import Curve

MIN_CELL = 30
RIDGE = 1.0  # keeps sparse cells (few big threads) from fitting noise; negligible where thousands of curves are
KERNEL_CURVES, KERNEL_EVENTS = 600, 100  # the kernel is fitted on a fixed subsample, each curve's first replies
KERNEL_GRID = {"s0": (60.0, 300.0, 1200.0, 3600.0), "theta": (0.2, 0.5, 1.0, 2.0),
               "root_weight": (1.0, 3.0, 10.0, 30.0, 100.0)}
_lgamma = np.frompyfunc(math.lgamma, 1, 1)

Table = list[list[list[float] | None]]


def grid_counts(curves: Sequence[Curve]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts at every grid age and horizon per curve, and which horizons each curve was watched for."""
    at_ages = np.array([np.searchsorted(c.times, AGES_S, side="right") for c in curves], dtype=float)
    at_horizons = np.array([np.searchsorted(c.times, HORIZONS_S, side="right") for c in curves], dtype=float)
    watched = np.array([[c.watched_for(h) for h in HORIZONS_S] for c in curves], dtype=bool)
    return (at_ages.reshape(len(curves), len(AGES_S)), at_horizons.reshape(len(curves), len(HORIZONS_S)),
            watched.reshape(len(curves), len(HORIZONS_S)))


def fit_sh(curves: Sequence[Curve]) -> dict[str, Table]:
    """Szabo–Huberman: per cell, the quantiles of log(1+N(h)) − log(1+N(a)) over the curves watched to h."""
    at_ages, at_horizons, watched = grid_counts(curves)
    table = _empty()
    for i, j in forecast_grid.cells():
        use = watched[:, j]
        if use.sum() >= MIN_CELL:
            table[i][j] = _rounded(np.quantile(np.log1p(at_horizons[use, j]) - np.log1p(at_ages[use, i]), LEVELS))
    return {"residuals": _fill_unwatched(table, len(LEVELS))}


def fit_loglin(curves: Sequence[Curve], hawkes: dict[str, float]) -> dict[str, Table]:
    """Per cell: ridge least squares for the location, a second fit on log|residual| for the scale, and the
    quantiles of the standardised residuals. `hawkes`: the kind's fitted kernel (one of the features)."""
    at_ages, at_horizons, watched = grid_counts(curves)
    kernel = forecast_models.HawkesModel({"hawkes": hawkes})
    ages = np.asarray(AGES_S, dtype=float)
    feats = np.array([forecast_models.features_at(c.times, ages, kernel) for c in curves])
    coef, scale, z = _empty(), _empty(), _empty()
    for i, j in forecast_grid.cells():
        use = watched[:, j]
        if use.sum() < MIN_CELL:
            continue
        x = feats[use, i]
        y = np.log1p(at_horizons[use, j]) - np.log1p(at_ages[use, i])
        beta = _ridge(x, y)
        resid = y - x @ beta
        gamma = _ridge(x, np.log(np.abs(resid) + 0.01))
        coef[i][j], scale[i][j] = _rounded(beta, 5), _rounded(gamma, 5)
        z[i][j] = _rounded(np.quantile(resid / np.exp(x @ gamma), LEVELS))
    width = feats.shape[-1]
    return {"coef": _fill_unwatched(coef, width), "scale": _fill_unwatched(scale, width),
            "z": _fill_unwatched(z, len(LEVELS))}


def _ridge(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    penalty = RIDGE * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    return np.linalg.solve(x.T @ x + penalty, x.T @ y)


def fit_hawkes(curves: Sequence[Curve]) -> dict[str, float]:
    """The kernel (s0, θ, root weight) by profile likelihood on a fixed subsample (each curve's own p at its
    maximum), then the Gamma prior of the infectiousness by the negative-binomial marginal likelihood."""
    step = max(1, len(curves) // KERNEL_CURVES)
    sample = _KernelSample([c for c in curves[::step] if c.times.size])
    combos = [(s0, theta, root) for s0 in KERNEL_GRID["s0"] for theta in KERNEL_GRID["theta"]
              for root in KERNEL_GRID["root_weight"]]
    s0, theta, root = max(combos, key=lambda k: sample.loglik(*k)) if sample.n.size else (300.0, 0.5, 10.0)
    params = {"s0": s0, "theta": theta, "root_weight": root}
    shape, rate = _fit_prior(curves, params)
    return {**params, "prior_shape": shape, "prior_rate": rate}


class _KernelSample:
    """The first KERNEL_EVENTS replies of some curves, laid out flat so one kernel is scored in a few array
    operations: every reply's lag after the root and after each earlier reply, and each curve's window end."""

    def __init__(self, curves: Sequence[Curve]) -> None:
        events, pair_lags, pair_events, tails, owners, ends = [], [], [], [], [], []
        for k, curve in enumerate(curves):
            end = min(curve.observed_s or 2_592_000.0, 604_800.0)
            t = curve.times[:KERNEL_EVENTS]
            t = t[t <= end]
            end = float(t[-1]) if t.size == KERNEL_EVENTS else end
            later, earlier = np.tril_indices(t.size, -1)
            pair_lags.append(t[later] - t[earlier])
            pair_events.append(later + sum(e.size for e in events))
            events.append(t)
            tails.append(end - t)
            owners.append(np.full(t.size, k))
            ends.append(end)
        flat = (lambda parts: np.concatenate(parts) if parts else np.zeros(0))
        self.times, self.lags, self.pairs = flat(events), flat(pair_lags), flat(pair_events).astype(int)
        self.tails, self.owners, self.ends = flat(tails), flat(owners).astype(int), np.array(ends)
        self.n = np.bincount(self.owners, minlength=len(curves)).astype(float) if len(curves) else np.zeros(0)

    def loglik(self, s0: float, theta: float, root: float) -> float:
        c = theta / (s0 * (1.0 + theta))

        def density(lag: np.ndarray) -> np.ndarray:
            return c * np.minimum(1.0, (np.maximum(lag, 1e-9) / s0) ** -(1.0 + theta))
        intensity = root * density(self.times) + np.bincount(self.pairs, density(self.lags), self.times.size)
        exposure = root * forecast_models.kernel_cdf(self.ends, s0, theta) + np.bincount(
            self.owners, forecast_models.kernel_cdf(self.tails, s0, theta), self.n.size)
        n = self.n
        return float(np.log(np.maximum(intensity, 1e-300)).sum()
                     - (n * np.log(exposure)).sum() + (n * np.log(np.maximum(n, 1.0)) - n).sum())


def _fit_prior(curves: Sequence[Curve], kernel: dict[str, float]) -> tuple[float, float]:
    model = forecast_models.HawkesModel({"hawkes": {**kernel, "prior_shape": 1.0, "prior_rate": 1.0}})
    # the 72 h count where curves were watched that long, else the longest horizon they were
    horizon = next((h for h in (259_200.0, 86_400.0) if sum(c.watched_for(h) for c in curves) >= MIN_CELL),
                   min(c.observed_s or 2_592_000.0 for c in curves))
    watched = [c for c in curves if c.watched_for(horizon)]
    counts = np.array([c.count_at(horizon) for c in watched], dtype=float)
    exposure = np.array([model.exposure(c.times[: c.count_at(horizon)], horizon) for c in watched])
    mean_p = max(counts.sum() / exposure.sum(), 1e-6)
    best, best_ll = (1.0, 1.0 / mean_p), -np.inf
    lgamma_counts = _lgamma(counts + 1.0).astype(float)
    for shape in np.exp(np.linspace(math.log(0.05), math.log(20.0), 25)):
        for factor in np.exp(np.linspace(math.log(0.1), math.log(10.0), 25)):
            rate = shape / (mean_p * factor)
            ll = float((_lgamma(shape + counts).astype(float) - math.lgamma(shape) - lgamma_counts
                        + shape * np.log(rate / (rate + exposure)) + counts * np.log(exposure / (rate + exposure))).sum())
            if ll > best_ll:
                best, best_ll = (round(float(shape), 5), round(float(rate), 5)), ll
    return best


def _empty() -> Table:
    return [[None] * len(HORIZONS_S) for _ in AGES_S]


def _fill_unwatched(table: Table, width: int) -> Table:
    """Cells without enough curves take the nearest shorter horizon of the same age (or zeros: no growth)."""
    for i, j in forecast_grid.cells():
        if table[i][j] is None:
            shorter = [table[i][k] for k in range(j) if table[i][k] is not None]
            table[i][j] = shorter[-1] if shorter else [0.0] * width
    return table


def _rounded(values: Any, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in values]
