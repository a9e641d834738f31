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

from listener.incidents import forecast, forecast_fitting
from listener.incidents import forecast_replay as replay
from listener.incidents.forecast_grid import AGES_S, HORIZONS_S, LEVELS
from listener.incidents.growth_curves import Curve, CurveError, read_curves

VERSION = "2026.12"
FALLBACK_KIND = "forum-thread"  # Pantip and any other kind without public curves
SIZE_SELECTED = ("reddit_medvedev",)
SHIPPED_METHOD = "loglin"  # chosen on the dev curves: see bench/forecast_eval.py
MAX_SMALL_SHARE = 0.05  # the operating point: at most 5 % of threads that stay under 20 replies flagged
POLL_MIN_S, POLL_MAX_S = 60.0, 7200.0  # the poll bounds the defaults are chosen under
POLL_PACES = (4.0, 2.0, 1.0)  # candidate new comments expected per re-read, cheapest first
RECALL_SLACK = 0.02  # a faster pace must buy more than this much recall to be worth its requests


def fit_kind(curves: Sequence[Curve], method: str) -> dict[str, Any]:
    hawkes = forecast_fitting.fit_hawkes(curves)
    return {"method": method, "curves": len(curves), "sh": forecast_fitting.fit_sh(curves),
            "hawkes": hawkes, "loglin": forecast_fitting.fit_loglin(curves, hawkes)}


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
        "kinds": {kind: fit_kind(by_kind[kind], SHIPPED_METHOD) for kind in sorted(by_kind)},
        "spread": {"min_probability": 0.5, "max_small_share": MAX_SMALL_SHARE},
        "poll": {"comments_per_read": 3.0, "young_share": 0.5, "window_s": 3600.0, "prior_comments": 0.5},
    }
    dev = replay.labelled([c for c in read_curves(data, ["dev"]) if c.kind == FALLBACK_KIND])
    choose_defaults(params, dev)
    return params


def choose_defaults(params: dict[str, Any], dev: Sequence[Curve]) -> None:
    """On the dev forum curves (the Pantip proxy), for each candidate poll pace: the P(>= 100 in 72 h) that
    flags at most MAX_SMALL_SHARE of threads staying under 20, and the recall before 20 it buys. Ships the
    cheapest pace within RECALL_SLACK of the best recall, with its threshold, and records every candidate."""
    tried = []
    for pace in POLL_PACES:  # cheapest first
        params["poll"]["comments_per_read"] = pace
        threshold, outcome = _operating_point(params, dev)
        tried.append({"comments_per_read": pace, "min_probability": round(threshold, 4),
                      "recall_before_20": round(outcome.recall, 4), "small_flagged": round(outcome.small_share, 4),
                      "median_lead_s": round(outcome.median_lead_s)})
    best = max(t["recall_before_20"] for t in tried)
    chosen = next(t for t in tried if t["recall_before_20"] >= best - RECALL_SLACK)
    params["poll"]["comments_per_read"] = chosen["comments_per_read"]
    params["spread"]["min_probability"] = chosen["min_probability"]
    params["dev"] = {"curves": len(dev), "tried": tried}


def _operating_point(params: dict[str, Any], dev: Sequence[Curve]) -> tuple[float, replay.Outcome]:
    forecaster = forecast.Forecaster(params)

    def p_big(seen: np.ndarray, age: float, kind: str) -> float:
        return forecaster.forecast(seen, age, replay.HORIZON_S, kind).probability_at_least(replay.BIG)

    def delay(seen: np.ndarray, age: float) -> float:
        return forecaster.poll_delay(seen, age, POLL_MIN_S, POLL_MAX_S)

    threshold, traces = replay.operating_point(dev, p_big, delay, MAX_SMALL_SHARE, lambda c: True)
    return threshold, replay.outcome(traces, threshold)


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
