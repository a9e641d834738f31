"""Rebuild the spread-forecast parameters (listener/incidents/data/forecast.json) from growth curves.

    python -m listener.incidents.fit_forecast --data ../shared/data/thread-growth [--out FILE]

Reads no config. Fits every model on the train split of the curves (md5 of the thread id, see
`growth_curves`), per kind of thread, then chooses the shipped defaults on the dev split. A curve is a label
for a horizon only when it was watched at least that long (`meta.observed_s`); size-selected sources
(`reddit_medvedev`: every tree has ~231 replies) are left out of fitting because they would teach the models
that every thread grows. Deterministic: the same curves give the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from listener.incidents import forecast, forecast_grid
from listener.incidents import forecast_replay as replay
from listener.incidents.forecast_grid import AGES_S, HORIZONS_S, LEVELS
from listener.incidents.growth_curves import Curve, CurveError, read_curves

VERSION = "2026.12"
FALLBACK_KIND = "forum-thread"  # Pantip and any other kind without public curves
SIZE_SELECTED = ("reddit_medvedev",)
MIN_CELL = 30  # curves a cell needs before its own quantiles are trusted
MAX_SMALL_SHARE = 0.05  # the operating point: at most 5 % of threads that stay under 20 replies flagged
POLL_MIN_S, POLL_MAX_S = 60.0, 7200.0  # the poll bounds the defaults are chosen under


def grid_counts(curves: Sequence[Curve]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts at every grid age and horizon per curve, and which horizons each curve was watched for."""
    at_ages = np.array([np.searchsorted(c.times, AGES_S, side="right") for c in curves], dtype=float)
    at_horizons = np.array([np.searchsorted(c.times, HORIZONS_S, side="right") for c in curves], dtype=float)
    watched = np.array([[c.watched_for(h) for h in HORIZONS_S] for c in curves], dtype=bool)
    return at_ages.reshape(len(curves), len(AGES_S)), at_horizons.reshape(len(curves), len(HORIZONS_S)), \
        watched.reshape(len(curves), len(HORIZONS_S))


def fit_sh(curves: Sequence[Curve]) -> list[list[list[float] | None]]:
    """Szabo–Huberman: per cell, the quantiles of log(1+N(h)) − log(1+N(a)) over the curves watched to h."""
    at_ages, at_horizons, watched = grid_counts(curves)
    table: list[list[list[float] | None]] = [[None] * len(HORIZONS_S) for _ in AGES_S]
    for i, j in forecast_grid.cells():
        use = watched[:, j]
        if use.sum() >= MIN_CELL:
            growth = np.log1p(at_horizons[use, j]) - np.log1p(at_ages[use, i])
            table[i][j] = _rounded(np.quantile(growth, LEVELS))
    return _fill_unwatched(table)


def _fill_unwatched(table: list[list[list[float] | None]]) -> list[list[list[float] | None]]:
    """Cells no curve was watched long enough for take the nearest shorter horizon of the same age (growth
    after the end of observation is unknown; assuming none is the conservative reading)."""
    for i, j in forecast_grid.cells():
        if table[i][j] is None:
            shorter = [table[i][k] for k in range(j) if table[i][k] is not None]
            table[i][j] = shorter[-1] if shorter else [0.0] * len(LEVELS)
    return table


def _rounded(values: Any, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in values]


def fit_kind(curves: Sequence[Curve]) -> dict[str, Any]:
    return {"method": "sh", "curves": len(curves), "sh": {"residuals": fit_sh(curves)}}


def fit(data: Path) -> dict[str, Any]:
    """Every kind's models from the train curves, defaults chosen on the dev curves."""
    train = [c for c in read_curves(data, ["train"]) if c.source not in SIZE_SELECTED]
    by_kind: dict[str, list[Curve]] = defaultdict(list)
    for curve in train:
        by_kind[curve.kind].append(curve)
    if FALLBACK_KIND not in by_kind:
        raise CurveError(f"{data}: no '{FALLBACK_KIND}' curves in the train split; the fallback kind needs them")
    params = {
        "version": VERSION,
        "fallback_kind": FALLBACK_KIND,
        "grid": {"ages_s": list(AGES_S), "horizons_s": list(HORIZONS_S), "levels": list(LEVELS)},
        "kinds": {kind: fit_kind(by_kind[kind]) for kind in sorted(by_kind)},
        "spread": {"min_probability": 0.5, "max_small_share": MAX_SMALL_SHARE},
        "poll": {"comments_per_read": 3.0, "young_share": 0.5, "window_s": 3600.0, "prior_comments": 0.5},
    }
    dev = replay.labelled([c for c in read_curves(data, ["dev"]) if c.kind == FALLBACK_KIND])
    params["spread"]["min_probability"] = round(choose_min_probability(params, dev), 4)
    return params


def choose_min_probability(params: dict[str, Any], dev: Sequence[Curve]) -> float:
    """The P(>= 100 in 72 h) that flags at most MAX_SMALL_SHARE of the dev forum threads that stay under 20,
    read at the shipped poll schedule (the issue's operating point, measured on the Pantip proxy)."""
    forecaster = forecast.Forecaster(params)

    def p_big(seen: np.ndarray, age: float) -> float:
        f = forecaster.forecast(seen, age, replay.HORIZON_S, FALLBACK_KIND)
        return f.probability_at_least(replay.BIG)

    def delay(seen: np.ndarray, age: float) -> float:
        return forecaster.poll_delay(seen, age, POLL_MIN_S, POLL_MAX_S)

    traces = [replay.replay(curve, p_big, delay) for curve in dev]
    return replay.threshold_for(traces, MAX_SMALL_SHARE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m listener.incidents.fit_forecast", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="thread-growth folder or its threads.jsonl")
    parser.add_argument("--out", type=Path, default=forecast.PARAMS_PATH, help="parameters file to write")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        params = fit(args.data)
    except CurveError as err:
        print(f"fit_forecast: {err}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(params, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, kinds: {', '.join(params['kinds'])}) "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
