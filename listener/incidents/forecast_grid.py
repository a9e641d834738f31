"""The age × horizon grid the forecast models are fitted on, and reading a fitted grid at any age and horizon.

Reads no config. Every model predicts the *growth* g = log(1 + N(horizon)) − log(1 + N(age)) of a thread as a
set of quantiles (at `LEVELS`), fitted separately in each cell (age grid point, horizon grid point). A forecast
between grid points interpolates the quantile vectors linearly in log-age and log-horizon; growth is zero at
horizon = age, which anchors short horizons.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

# Ages at which the daemon may read a thread (seconds after the root) and the horizons a watchlist may ask about.
AGES_S = (60, 300, 600, 1200, 1800, 2700, 3600, 5400, 7200, 10_800, 14_400, 21_600, 32_400, 43_200, 64_800,
          86_400, 129_600, 172_800, 259_200, 604_800)
HORIZONS_S = (3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 259_200, 604_800, 2_592_000)
# Quantile levels of every predicted distribution; 0.1 and 0.9 bound the 80 % interval, 0.5 is the point.
LEVELS = (0.02, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75,
          0.80, 0.85, 0.90, 0.95, 0.98)

CellQuantiles = Callable[[int, int], np.ndarray]  # (age index, horizon index) -> growth quantiles at LEVELS


def cells(ages: Sequence[float] = AGES_S, horizons: Sequence[float] = HORIZONS_S) -> list[tuple[int, int]]:
    """Every (age index, horizon index) with the horizon after the age: the cells a model is fitted on."""
    return [(i, j) for i, a in enumerate(ages) for j, h in enumerate(horizons) if h > a]


def growth_at(cell: CellQuantiles, age_s: float, horizon_s: float, ages: Sequence[float] = AGES_S,
              horizons: Sequence[float] = HORIZONS_S) -> np.ndarray:
    """Growth quantiles at any age and horizon (horizon > age), interpolated between the fitted cells."""
    i0, i1, w = _bracket(ages, age_s)
    near = _along_horizon(cell, i0, horizon_s, ages, horizons)
    if i1 == i0 or w == 0.0:
        return near
    return (1.0 - w) * near + w * _along_horizon(cell, i1, horizon_s, ages, horizons)


def _along_horizon(cell: CellQuantiles, i: int, horizon_s: float, ages: Sequence[float],
                   horizons: Sequence[float]) -> np.ndarray:
    """Growth quantiles from age grid point i to `horizon_s`: zero at the age itself, linear in log-horizon
    between fitted horizons, flat beyond the last one (threads have stopped growing by then)."""
    start = ages[i]
    if horizon_s <= start:
        return np.zeros(len(LEVELS))
    later = [j for j, h in enumerate(horizons) if h > start]
    if horizon_s >= horizons[later[-1]]:
        return cell(i, later[-1])
    points = [start] + [horizons[j] for j in later]
    k = next(k for k in range(1, len(points)) if points[k] >= horizon_s)
    w = (math.log(horizon_s) - math.log(points[k - 1])) / (math.log(points[k]) - math.log(points[k - 1]))
    upper = cell(i, later[k - 1])
    lower = np.zeros(len(LEVELS)) if k == 1 else cell(i, later[k - 2])
    return (1.0 - w) * lower + w * upper


def _bracket(grid: Sequence[float], value: float) -> tuple[int, int, float]:
    """Indices of the grid points around `value` and the weight of the upper one (log scale, clamped)."""
    if value <= grid[0]:
        return 0, 0, 0.0
    if value >= grid[-1]:
        last = len(grid) - 1
        return last, last, 0.0
    k = next(k for k in range(1, len(grid)) if grid[k] >= value)
    w = (math.log(value) - math.log(grid[k - 1])) / (math.log(grid[k]) - math.log(grid[k - 1]))
    return k - 1, k, w
