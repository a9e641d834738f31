"""Replay a growth curve as the daemon would see it: read at poll times only, scored at each read.

Reads no config. A thread is first read when a listing poll finds it (`LISTING_S` = the shipped 5-minute Pantip
schedule; the phase is fixed per thread by an md5 of its id), then re-read after each `delay(seen, age)`. At
each read a `score(seen, age)` is taken (the forecast's P(count at 72 h >= 100), or the count itself for the
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

Score = Callable[[np.ndarray, float], float]
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
    return lambda seen, age: seconds


def replay(curve: Curve, score: Score, delay: Delay, horizon_s: float = HORIZON_S) -> Trace:
    ages, counts, scores = [], [], []
    age, scored_count = first_read_s(curve.thread_id), -1
    while age <= horizon_s:
        n = curve.count_at(age)
        seen = curve.times[:n]
        ages.append(age)
        counts.append(n)
        scores.append(score(seen, age) if n != scored_count else -np.inf)
        scored_count = n
        age += max(float(delay(seen, age)), 1.0)
    return Trace(curve, np.array(ages), np.array(counts), np.array(scores, dtype=float))


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
    reads_per_thread: float

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
    reads = float(np.mean([t.ages.size for t in traces])) if traces else float("nan")
    return Outcome(len(big), before, len(small), flagged_small, float(np.median(leads)) if leads else float("nan"),
                   reads)


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
