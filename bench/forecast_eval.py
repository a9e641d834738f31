"""The spread forecast against its baselines on the dev growth curves, and the politeness cost of re-polling.

    python -m bench.forecast_eval --data ../shared/data/thread-growth [--params FILE] [--limit N]

Prints, per kind of thread (forum threads also per source):
1. count forecasts at ages 1 h and 6 h for 24 h and 72 h: median absolute error of log(1 + count) of the
   point (the median) and the share of true counts inside the 80 % interval;
2. the issue's operating figures for each method read at each poll schedule: of threads reaching 100 replies
   within 72 h, the share flagged before their 20th reply; the share of threads staying under 20 ever flagged;
   the median lead (100th reply minus flag); reads per thread. Each method's threshold is the one that flags at
   most 5 % of the small dev forum threads at that schedule (the count baseline: alert at N replies);
3. the physical limit of each schedule: big threads that pass 20 replies before any read could see them;
4. requests per hour per tracked thread under `poll_delay_s`, and for a busy day.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from listener.incidents import forecast
from listener.incidents import forecast_replay as replay
from listener.incidents.growth_curves import Curve, read_curves

METHODS = ("count", "sh", "hawkes", "loglin")
FORUM = "forum-thread"
HOUR = 3600.0


SCHEDULES = ("adaptive", "adaptive-5m", "5m", "15m")


def schedules(fc: forecast.Forecaster, chosen: Sequence[str] = SCHEDULES) -> dict[str, replay.Delay]:
    every = {"adaptive": ("poll_delay_s 60s-2h", lambda s, a: fc.poll_delay(s, a, 60.0, 7200.0)),
             "adaptive-5m": ("poll_delay_s 5m-2h", lambda s, a: fc.poll_delay(s, a, 300.0, 7200.0)),
             "5m": ("fixed 5 min", replay.fixed_delay(300.0)), "15m": ("fixed 15 min", replay.fixed_delay(900.0))}
    return dict(every[name] for name in chosen)


def scorer(method: str, params: Path) -> replay.Score:
    """The score a rule thresholds: the count itself for the baseline, else P(count at 72 h >= 100)."""
    if method == "count":
        return lambda seen, age, kind: float(seen.size)
    fc = forecast.load(params, method)
    return lambda seen, age, kind: fc.forecast(seen, age, replay.HORIZON_S, kind).probability_at_least(replay.BIG)


def count_errors(curves: Sequence[Curve], params: Path) -> None:
    print("\n## Count forecasts (dev): median |log(1+forecast) - log(1+true)| / share inside the 80 % interval")
    ages, horizons = (HOUR, 6 * HOUR), (24 * HOUR, 72 * HOUR)
    cols = [f"@{a / HOUR:.0f}h→{h / HOUR:.0f}h" for a in ages for h in horizons]
    print(f"| kind | method | n | " + " | ".join(cols) + " |")
    print("|---|---|---:|" + "---:|" * len(cols))
    for kind, group in _by_kind(curves).items():
        for method in METHODS[1:]:
            fc = forecast.load(params, method)
            cells, size = [], 0
            for a in ages:
                for h in horizons:
                    err, inside = [], []
                    for c in group:
                        if not c.watched_for(h):
                            continue
                        f = fc.forecast(c.times[: c.count_at(a)], a, h, kind)
                        true = c.count_at(h)
                        err.append(abs(np.log1p(f.expected) - np.log1p(true)))
                        inside.append(f.low - 1e-9 <= true <= f.high + 1e-9)
                    size = max(size, len(err))
                    cells.append(f"{np.median(err):.2f} / {np.mean(inside):.0%}" if err else "–")
            print(f"| {kind} | {method} | {size} | " + " | ".join(cells) + " |")


def operating(curves: Sequence[Curve], params: Path, methods: Sequence[str] = METHODS,
              chosen: Sequence[str] = SCHEDULES) -> None:
    fc = forecast.load(params)
    print("\n## Flagging at 100 replies in 72 h (dev): recall before 20 / small flagged / median lead / reads")
    print("| schedule | method | threshold | group | big | recall<20 | small | small flagged | median lead | reads/thread |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for name, delay in schedules(fc, chosen).items():
        reads = {c.thread_id: replay.read_ages(c, delay).size for c in curves}
        for method in methods:
            threshold, traces = replay.operating_point(curves, scorer(method, params), delay, 0.05,
                                                       lambda c: c.kind == FORUM)
            for group, members in _groups(curves, traces).items():
                _row(name, method, threshold, group, members[1], np.mean([reads[c.thread_id] for c in members[0]]))
            sys.stdout.flush()


def _row(name: str, method: str, threshold: float, group: str, traces: Sequence[replay.Trace], reads: float) -> None:
    o = replay.outcome(traces, threshold)
    if o.big == 0 and o.small == 0:
        return
    lead = f"{o.median_lead_s / HOUR:.1f} h" if o.median_lead_s == o.median_lead_s else "–"
    recall = f"{o.recall:.1%} ({o.flagged_before})" if o.big else "–"
    small = f"{o.small_share:.1%}" if o.small else "–"
    label = "count >= N" if method == "count" else method
    print(f"| {name} | {label} | {threshold:.3g} | {group} | {o.big} | {recall} | {o.small} | {small} | {lead} "
          f"| {reads:.0f} |")


def physical_limit(curves: Sequence[Curve], params: Path) -> None:
    fc = forecast.load(params)
    big = [c for c in replay.labelled(curves) if c.kind == FORUM and c.count_at(replay.HORIZON_S) >= replay.BIG]
    print(f"\n## Physical limit ({len(big)} dev forum threads reaching 100 in 72 h)")
    print("| schedule | passed 20 before the first read | no read between the 10th and 20th reply | best possible recall<20 |")
    print("|---|---:|---:|---:|")
    for name, delay in schedules(fc).items():
        before_first, no_read, seen_under = 0, 0, 0
        for c in big:
            ages = replay.read_ages(c, delay)
            counts = np.searchsorted(c.times, ages, side="right")
            before_first += int(counts[0] >= replay.BEFORE)
            no_read += int(not np.any((counts >= 10) & (counts < replay.BEFORE)))
            seen_under += int(np.any(counts < replay.BEFORE))
        print(f"| {name} | {before_first / len(big):.1%} | {no_read / len(big):.1%} | {seen_under / len(big):.1%} |")


def politeness(curves: Sequence[Curve], params: Path) -> None:
    fc = forecast.load(params)
    delay = schedules(fc)["poll_delay_s 60s-2h"]
    spans = ((0.0, HOUR), (HOUR, 24 * HOUR), (24 * HOUR, 72 * HOUR), (0.0, 72 * HOUR))
    print("\n## Politeness of poll_delay_s (min 60 s, max 2 h): requests per hour per tracked thread")
    print("| kind | threads | " + " | ".join(f"{a / HOUR:.0f}-{b / HOUR:.0f} h" for a, b in spans) +
          " | 500 tracked at once | 500 new a day, tracked 72 h |")
    print("|---|---:|" + "---:|" * (len(spans) + 2))
    for kind, group in _by_kind(curves).items():
        reads = [replay.read_ages(c, delay) for c in group]
        rates = [np.mean([np.sum((r >= a) & (r < b)) for r in reads]) / ((b - a) / HOUR) for a, b in spans]
        per_thread_72h = rates[-1] * 72
        print(f"| {kind} | {len(group)} | " + " | ".join(f"{x:.2f}" for x in rates) +
              f" | {500 * rates[-1]:.0f}/h | {500 * per_thread_72h / 24:.0f}/h |")
    print("(500 tracked at once: ages spread over 0-72 h. At the default 1 request/s per host a source has 3,600/h.)")


def _by_kind(curves: Sequence[Curve]) -> dict[str, list[Curve]]:
    groups: dict[str, list[Curve]] = defaultdict(list)
    for c in curves:
        groups[c.kind].append(c)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] != FORUM, kv[0])))


def _groups(curves: Sequence[Curve], traces: Sequence[replay.Trace]
            ) -> dict[str, tuple[list[Curve], list[replay.Trace]]]:
    """Forum threads, each forum source, then the other kinds: (its curves, its traces)."""
    def names(c: Curve) -> list[str]:
        return [FORUM, f"  {c.source}"] if c.kind == FORUM else [c.kind]
    groups: dict[str, tuple[list[Curve], list[replay.Trace]]] = defaultdict(lambda: ([], []))
    for c in curves:
        for g in names(c):
            groups[g][0].append(c)
    for t in traces:
        for g in names(t.curve):
            groups[g][1].append(t)
    order = sorted(groups, key=lambda g: (not (g == FORUM or g.startswith("  ")), g != FORUM, g))
    return {g: groups[g] for g in order}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/thread-growth"))
    parser.add_argument("--params", type=Path, default=forecast.PARAMS_PATH)
    parser.add_argument("--limit", type=int, default=0, help="use every k-th dev curve so about N remain")
    parser.add_argument("--part", choices=("all", "counts", "flags", "limit", "polite"), default="all")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS), help="for --part flags")
    parser.add_argument("--schedules", nargs="+", choices=SCHEDULES, default=list(SCHEDULES),
                        help="for --part flags")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    curves = read_curves(args.data, ["dev"])
    if args.limit and len(curves) > args.limit:
        curves = curves[:: len(curves) // args.limit]
    print("python -m bench.forecast_eval " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(f"{len(curves)} dev curves; parameters {args.params} ({forecast.load(args.params).version})")
    parts: dict[str, Callable[[], None]] = {
        "counts": lambda: count_errors(curves, args.params),
        "flags": lambda: operating(curves, args.params, args.methods, args.schedules),
        "limit": lambda: physical_limit(curves, args.params), "polite": lambda: politeness(curves, args.params)}
    for name, part in parts.items():
        if args.part in ("all", name):
            part()
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
