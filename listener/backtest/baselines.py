"""The two rules a replay compares fangsiang with, judged on the very reads the replay made of each thread.

- count: flag at the first read that sees at least `COUNT_AT` replies;
- spike: flag at the first read whose last hour holds at least `SPIKE_MIN` replies and at least `SPIKE_RATIO`
  times the thread's mean hourly rate over the last 12 hours (a burst against the thread's own pace).
Both see only what a read saw: the replies posted by the time of that read.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from listener.backtest.replay_scraper import Read

COUNT_AT = 10
SPIKE_MIN = 5
SPIKE_RATIO = 3.0
HOUR = 3600.0

Rule = Callable[[np.ndarray, float], bool]  # (reply times seen, age of the read) -> flag?


def count_rule(seen: np.ndarray, age: float) -> bool:
    return seen.size >= COUNT_AT


def spike_rule(seen: np.ndarray, age: float) -> bool:
    last_hour = int(np.count_nonzero(seen > age - HOUR))
    last_12h = int(np.count_nonzero(seen > age - 12 * HOUR))
    return last_hour >= SPIKE_MIN and last_hour >= SPIKE_RATIO * last_12h / 12.0


RULES: dict[str, Rule] = {f"count_{COUNT_AT}": count_rule, "spike": spike_rule}


def first_flag_s(rule: Rule, times: np.ndarray, reads: Sequence[Read], root_at: object) -> float | None:
    """Seconds after the root of the first read the rule flags; None when it flags none."""
    for read in reads:
        age = (read.at - root_at).total_seconds()  # type: ignore[operator]
        if rule(times[: read.visible], age):
            return age
    return None
