"""The fitted growth models behind the spread forecast, rebuilt from their JSON parameters.

Reads no config. Each model turns the reply times seen so far into quantiles (at `forecast_grid.LEVELS`) of
the growth g = log(1 + N(horizon)) − log(1 + N(age)):

* `sh` — the Szabo–Huberman log-linear rule: log N(horizon) = log N(age) + c(age, horizon) + noise, with the
  noise quantiles measured per grid cell (the count alone decides).
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

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.table = _dense(params["residuals"], len(LEVELS))

    def growth(self, times: np.ndarray, age_s: float, horizon_s: float) -> np.ndarray:
        return forecast_grid.growth_at(lambda i, j: self.table[i, j], age_s, horizon_s)


MODELS: dict[str, type] = {"sh": ShModel}


def build(method: str, params: Mapping[str, Any]) -> GrowthModel:
    """The model `method` ('sh', ...) from its parameters for one kind of thread."""
    try:
        return MODELS[method](params[method])
    except KeyError as err:
        raise ValueError(f"forecast parameters have no model '{method}' ({err}); "
                         f"known: {', '.join(sorted(MODELS))}") from err
