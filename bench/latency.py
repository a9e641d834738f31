"""Single-text latency of a scorer, as a lone post would see it (shared by the speed scripts run from bench/)."""

from __future__ import annotations

import statistics
import time
from typing import Callable, Sequence


def single_text_ms(predict: Callable[[list[str]], object], texts: Sequence[str], calls: int) -> tuple[float, float]:
    """(p50, p99) in milliseconds of `calls` one-text calls, cycling through `texts`."""
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        predict([texts[i % len(texts)]])
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return statistics.median(latencies), latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
