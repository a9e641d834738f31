"""How long to wait before re-reading a tracked thread, by its heat: the rule the tracker uses until the spread
forecast ships. Same signature as `listener.incidents.forecast.poll_delay_s`, so the tracker switches to the
forecast by changing one import.

Reads no config (the bounds are arguments).
"""

from __future__ import annotations

from typing import Sequence

HOUR_S = 3600.0
BASE_WAIT_S = 2 * HOUR_S  # a thread with no comments in the last hour waits this long (within the bounds)
MIN_SPAN_S = 900.0  # a rate over a shorter span explodes (2 comments in a minute = 120/h): never divide by less
YOUNG_FLOOR_S = 900.0  # a young thread waits at most half its age, but never less than this


def poll_delay_s(times_s: Sequence[float], age_s: float, *, min_s: float, max_s: float) -> float:
    """Seconds until the next re-read: 2 h / (1 + comments per hour over the last hour), halved while the last
    hour had more comments than the hour before, and at most half the thread's age (a young thread is the one
    most likely to take off); always within [min_s, max_s].

    `times_s` are the comment times in seconds after the thread's root, `age_s` the root's age now."""
    last_hour = sum(1 for t in times_s if age_s - HOUR_S < t <= age_s)
    hour_before = sum(1 for t in times_s if age_s - 2 * HOUR_S < t <= age_s - HOUR_S)
    per_hour = last_hour / (max(min(age_s, HOUR_S), MIN_SPAN_S) / HOUR_S)
    wait = BASE_WAIT_S / (1 + per_hour)
    if age_s > HOUR_S and last_hour > hour_before:
        wait /= 2  # accelerating
    wait = min(wait, max(age_s / 2, YOUNG_FLOOR_S))
    return min(max_s, max(min_s, wait))
