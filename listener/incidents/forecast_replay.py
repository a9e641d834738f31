"""Replay a growth curve as the daemon would see it: read at poll times only, scored at each read.

Reads no config. A thread is first read when a listing poll finds it (`LISTING_S` = the shipped 5-minute Pantip
schedule; the phase is fixed per thread by an md5 of its id), then re-read after each `delay(seen, age)`. At
each read a `score(seen, age, kind)` is taken (the forecast's P(count at 72 h >= 100), or the count itself for the
count-threshold baseline); a rule flags the thread at its first read whose score reaches a threshold. The
figures the spread issue sets follow: of threads reaching 100 replies within 72 h, the share flagged before
their 20th reply; the share of threads that stay under 20 ever flagged; the median lead (100th reply minus
flag time); and the reads spent.

A read with no new reply since the last scored read is counted but not scored: every model here gives a lower
P(big) to an older thread with the same replies, so such a read can never be the first to flag.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from listener.incidents.growth_curves import Curve

LISTING_S = 300.0  # the shipped listing schedule: a new topic is first seen within 5 minutes
HORIZON_S = 72 * 3600.0
BIG, SMALL, BEFORE = 100, 20, 20  # reaches BIG within the horizon / stays under SMALL / flagged before the BEFORE-th

Score = Callable[[np.ndarray, float, str], float]  # (replies seen, age, kind of thread)
Delay = Callable[[np.ndarray, float], float]


@dataclass(frozen=True)
class Trace:
    """One replayed curve: its label and, per read, the age, the replies seen and the score (-inf: unscored)."""
    curve: Curve
    ages: np.ndarray
    counts: np.ndarray
    scores: np.ndarray

    @property
    def final(self) -> int:
        return self.curve.count_at(HORIZON_S)

    @property
    def big(self) -> bool:
        return self.final >= BIG

    @property
    def small(self) -> bool:
        return self.final < SMALL

    def first_flag(self, threshold: float) -> int | None:
        hits = np.flatnonzero(self.scores >= threshold)
        return int(hits[0]) if hits.size else None


def first_read_s(thread_id: str) -> float:
    """When a listing poll first finds the thread: a fixed phase in (0, LISTING_S] per thread."""
    phase = int(hashlib.md5(("listing:" + thread_id).encode("utf-8")).hexdigest(), 16) % 10_000
    return LISTING_S * (phase + 1) / 10_000


def fixed_delay(seconds: float) -> Delay:
    delay: Delay = lambda seen, age: seconds  # noqa: E731  (a named constant schedule)
    delay.fixed_s = seconds  # type: ignore[attr-defined]  (lets `read_ages` lay the reads out at once)
    return delay


def read_ages(curve: Curve, delay: Delay, horizon_s: float = HORIZON_S) -> np.ndarray:
    """The ages at which the daemon reads the thread: the listing's first sight, then one delay after another."""
    first = first_read_s(curve.thread_id)
    fixed = getattr(delay, "fixed_s", None)
    if fixed is not None:
        return np.arange(first, horizon_s + 1e-9, float(fixed))
    ages, age = [], first
    while age <= horizon_s:
        ages.append(age)
        age += max(float(delay(curve.times[: curve.count_at(age)], age)), 1.0)
    return np.array(ages)


def replay(curve: Curve, score: Score, delay: Delay, horizon_s: float = HORIZON_S,
           stop_at: float = np.inf) -> Trace:
    """Read the curve at its poll ages and score the reads that saw something new, until a score reaches
    `stop_at` (the reads after the flag cannot change any figure)."""
    ages = read_ages(curve, delay, horizon_s)
    counts = np.searchsorted(curve.times, ages, side="right")
    fresh = np.flatnonzero(np.diff(counts, prepend=-1) != 0)  # reads that saw something new
    scores = np.full(ages.size, -np.inf)
    for k in fresh:
        scores[k] = score(curve.times[: counts[k]], float(ages[k]), curve.kind)
        if scores[k] >= stop_at:
            break
    return Trace(curve, ages, counts, scores)


def operating_point(curves: Sequence[Curve], score: Score, delay: Delay, max_small_share: float,
                    reference: Callable[[Curve], bool]) -> tuple[float, list[Trace]]:
    """The threshold that flags at most `max_small_share` of the small `reference` curves, and the traces of
    every small and big labelled curve at that threshold (threads in between decide no figure; not replayed)."""
    watched = labelled(curves)
    small = [replay(c, score, delay) for c in watched if c.count_at(HORIZON_S) < SMALL]
    threshold = threshold_for([t for t in small if reference(t.curve)], max_small_share)
    big = [replay(c, score, delay, stop_at=threshold) for c in watched if c.count_at(HORIZON_S) >= BIG]
    return threshold, small + big


def labelled(curves: Sequence[Curve], horizon_s: float = HORIZON_S) -> list[Curve]:
    """Curves whose count at the horizon is a label (watched that long)."""
    return [c for c in curves if c.watched_for(horizon_s)]


@dataclass(frozen=True)
class Outcome:
    big: int
    flagged_before: int  # big threads flagged before their BEFORE-th reply
    small: int
    small_flagged: int
    median_lead_s: float  # over big threads flagged at all; NaN when none

    @property
    def recall(self) -> float:
        return self.flagged_before / self.big if self.big else float("nan")

    @property
    def small_share(self) -> float:
        return self.small_flagged / self.small if self.small else float("nan")


def outcome(traces: Sequence[Trace], threshold: float) -> Outcome:
    big = [t for t in traces if t.big]
    small = [t for t in traces if t.small]
    before, leads = 0, []
    for t in big:
        k = t.first_flag(threshold)
        if k is not None:
            before += int(t.counts[k] < BEFORE)
            leads.append(float(t.curve.times[BIG - 1] - t.ages[k]))
    flagged_small = sum(t.first_flag(threshold) is not None for t in small)
    return Outcome(len(big), before, len(small), flagged_small, float(np.median(leads)) if leads else float("nan"))


def threshold_for(traces: Sequence[Trace], max_small_share: float) -> float:
    """The lowest threshold that flags at most `max_small_share` of the small threads (ties pushed above)."""
    peaks = np.sort([t.scores.max() for t in traces if t.small])
    if peaks.size == 0:
        return float("-inf")
    allowed = int(np.floor(max_small_share * peaks.size))  # this many small threads may be flagged
    if allowed >= peaks.size:
        return float(peaks[0])
    cut = peaks[peaks.size - allowed - 1]  # the highest small peak that must stay unflagged
    return float(np.nextafter(cut, np.inf))
