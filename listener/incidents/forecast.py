"""The spread forecast: how many comments a thread will have at a horizon, how sure we are, and when to re-read it.

Reads no config keys: the fitted parameters ship in `listener/incidents/data/forecast.json` (rebuilt by
`python -m listener.incidents.fit_forecast --data ../shared/data/thread-growth`) and are loaded once, on first
use. Callers pass what a watchlist says (`spread: {comments: N, within: H}`) and the tracker's poll bounds.

* `forecast(times, age, horizon, kind)` — the count at root + horizon: a point (the median), an 80 % interval
  and `probability_at_least(n)`, from the reply times seen so far. Kinds without fitted curves (Pantip: no
  public growth data exists) use the fallback kind, `forum-thread`.
* `spread_matters(f, comments)` — the shipped decision rule: P(count at horizon >= comments) >= the probability
  chosen on the dev curves.
* `poll_delay_s(times, age, min_s, max_s)` — wait until about a fixed number of new comments is expected, and
  at most a share of the thread's age while it is young; a cold thread drifts out to `max_s`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from listener.incidents import forecast_models
from listener.incidents.forecast_grid import LEVELS

PARAMS_PATH = Path(__file__).with_name("data") / "forecast.json"
_LOW, _MID, _HIGH = LEVELS.index(0.10), LEVELS.index(0.50), LEVELS.index(0.90)
MAX_GROWTH = 12.0  # log-growth cap (~160,000-fold): a regression far outside its data must not overflow


@dataclass(frozen=True)
class Forecast:
    now_count: int  # comments seen so far
    age_s: float  # seconds since the thread's root was posted, at the time of the forecast
    horizon_s: float  # seconds after the root the forecast is for (e.g. 86_400 for "in 24 h")
    expected: float  # point estimate (the median) of the total comment count at root + horizon
    low: float  # lower end of an 80 % interval of that count
    high: float  # upper end
    trend: str  # "rising" | "steady" | "cooling"
    method: str  # e.g. "sh-loglinear@2026.12"
    quantiles: tuple[float, ...] = field(default=(), repr=False, compare=False)  # counts at forecast_grid.LEVELS

    def probability_at_least(self, n: int) -> float:
        """P(total at horizon >= n); 1 for any n the thread already has."""
        if n <= self.now_count:
            return 1.0
        if self.quantiles:
            counts, levels = self.quantiles, LEVELS
        else:  # built by hand from the three published numbers
            counts, levels = (self.low, self.expected, self.high), (0.10, 0.50, 0.90)
        return _survival(np.log1p(np.asarray(counts, dtype=float)), np.asarray(levels), math.log(n + 0.5))


class Forecaster:
    """Forecasts, poll delays and the decision rule from one set of fitted parameters."""

    def __init__(self, params: Mapping[str, Any], method: str | None = None) -> None:
        self.version = str(params["version"])
        self.fallback = str(params["fallback_kind"])
        self.models = {kind: forecast_models.build(method or spec["method"], spec)
                       for kind, spec in params["kinds"].items()}
        if self.fallback not in self.models:
            raise ValueError(f"forecast parameters: fallback kind '{self.fallback}' has no fitted model")
        self.min_probability = float(params["spread"]["min_probability"])
        self.poll = dict(params["poll"])

    def forecast(self, times_s: Sequence[float], age_s: float, horizon_s: float = 86_400.0,
                 kind: str = "forum-thread") -> Forecast:
        times, age = clean_times(times_s, age_s)
        if not horizon_s > 0:
            raise ValueError(f"horizon_s must be a positive number of seconds, got {horizon_s!r}")
        n = int(times.size)
        model = self.models.get(kind) or self.models[self.fallback]
        method = f"{model.name}@{self.version}"
        if horizon_s <= age:  # the count at the horizon is already known
            known = float(np.searchsorted(times, horizon_s, side="right"))
            return Forecast(n, age, float(horizon_s), known, known, known, trend_of(times, age), method,
                            (known,) * len(LEVELS))
        growth = np.maximum.accumulate(np.clip(model.growth(times, age, horizon_s), 0.0, MAX_GROWTH))
        counts = np.expm1(math.log1p(n) + growth)
        return Forecast(n, age, float(horizon_s), float(counts[_MID]), float(counts[_LOW]), float(counts[_HIGH]),
                        trend_of(times, age), method, tuple(counts.tolist()))

    def poll_delay(self, times_s: Sequence[float], age_s: float, min_s: float, max_s: float) -> float:
        """Seconds until about `comments_per_read` new comments are expected at the current rate, at most
        `young_share` of the thread's age, within [min_s, max_s]."""
        if not 0 < min_s <= max_s:
            raise ValueError(f"poll bounds must satisfy 0 < min_s <= max_s, got {min_s!r}, {max_s!r}")
        times, age = clean_times(times_s, age_s)
        rate = recent_rate(times, age, float(self.poll["window_s"]), float(self.poll["prior_comments"]))
        wait = min(float(self.poll["comments_per_read"]) / rate, float(self.poll["young_share"]) * max(age, 1.0))
        return float(min(max_s, max(min_s, wait)))

    def matters(self, f: Forecast, comments: int) -> bool:
        return f.probability_at_least(comments) >= self.min_probability


def clean_times(times_s: Sequence[float], age_s: float) -> tuple[np.ndarray, float]:
    """Reply times as a sorted float array clipped at the root, and an age no earlier than the last reply
    (a scraper's clock may run a little behind the site's)."""
    times = np.asarray(times_s, dtype=float)
    if times.ndim != 1 or not np.all(np.isfinite(times)):
        raise ValueError("times_s must be a flat sequence of finite seconds after the root")
    try:
        age = float(age_s)
    except (TypeError, ValueError):
        age = float("nan")
    if not (math.isfinite(age) and age >= 0):
        raise ValueError(f"age_s must be a finite number of seconds >= 0, got {age_s!r}")
    if times.size and np.any(times[1:] < times[:-1]):
        times = np.sort(times)
    times = np.maximum(times, 0.0)
    return times, max(age, float(times[-1]) if times.size else 0.0)


def recent_rate(times: np.ndarray, age: float, window_s: float, prior_comments: float) -> float:
    """Comments per second over the last `window_s` (or the whole age when younger), with `prior_comments`
    spread over the window so a quiet stretch gives a small rate, never zero."""
    span = max(min(window_s, age), 60.0)
    recent = times.size - int(np.searchsorted(times, age - span, side="right"))
    return (recent + prior_comments) / span


def trend_of(times: np.ndarray, age: float) -> str:
    """'rising' when the last stretch (half the age, at most an hour) had clearly more comments than the one
    before it, 'cooling' when clearly fewer (or none at all after earlier ones), else 'steady'."""
    span = min(age / 2, 3600.0)
    if span <= 0 or times.size == 0:
        return "steady"
    last = times.size - int(np.searchsorted(times, age - span, side="right"))
    before = times.size - last - int(np.searchsorted(times, age - 2 * span, side="right"))
    noise = 2.0 * math.sqrt(last + before + 1.0)
    if last - before > noise:
        return "rising"
    if before - last > noise or (last == 0 and before > 0):
        return "cooling"
    return "steady"


def _survival(log_counts: np.ndarray, levels: np.ndarray, y: float) -> float:
    """P(log(1 + count) > y) from its quantiles at `levels`: linear between them, exponential tails."""
    if y <= log_counts[0]:
        return 1.0 - float(levels[0]) * math.exp(-(log_counts[0] - y) / _tail_scale(log_counts[:2], levels[:2]))
    if y >= log_counts[-1]:
        top = 1.0 - float(levels[-1])
        return top * math.exp(-(y - log_counts[-1]) / _tail_scale(log_counts[-2:], levels[-2:]))
    k = int(np.searchsorted(log_counts, y, side="right"))
    lo, hi = log_counts[k - 1], log_counts[k]
    w = 0.0 if hi <= lo else (y - lo) / (hi - lo)
    return 1.0 - float(levels[k - 1] + w * (levels[k] - levels[k - 1]))


def _tail_scale(points: np.ndarray, levels: np.ndarray) -> float:
    """The scale of an exponential tail whose density matches the outermost pair of quantiles."""
    return max(float(points[1] - points[0]), 0.05) / max(float(levels[1] - levels[0]), 1e-6) * min(
        float(levels[0]), 1.0 - float(levels[1]))


@lru_cache(maxsize=4)
def load(path: Path = PARAMS_PATH, method: str | None = None) -> Forecaster:
    """The forecaster from a parameters file (cached: the file is read once per process)."""
    try:
        params = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: cannot read forecast parameters: {err}") from err
    return Forecaster(params, method)


def forecast(times_s: Sequence[float], age_s: float, horizon_s: float = 86_400.0,
             kind: str = "forum-thread") -> Forecast:
    """times_s: reply/comment times in seconds after the root, ascending, all <= age_s."""
    return load().forecast(times_s, age_s, horizon_s, kind)


def poll_delay_s(times_s: Sequence[float], age_s: float, *, min_s: float, max_s: float) -> float:
    """How long to wait before re-reading this thread: short for a young or fast-growing thread, long for a cold one."""
    return load().poll_delay(times_s, age_s, min_s, max_s)


def spread_matters(f: Forecast, comments: int) -> bool:
    """The shipped decision rule for a watchlist `spread: {comments: N, within: H}` (chosen on the dev curves)."""
    return load().matters(f, comments)
