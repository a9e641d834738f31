"""What one thread re-read costs the daemon as the number of tracked threads grows.

The track stage's own work per re-read (read the thread's cursor, store the re-read's posts and snapshot, write
the cursor back, refresh the thread's incidents, schedule the next read) on a real SQLite file, with an
in-process scraper standing in for Pantip so that the figure is the daemon's cost, not the network's. Each
tracked thread's cursor is the size of a busy Pantip topic's (30 reply chains).

    python bench/reread_cost.py                       # 10 and 2,000 tracked threads, 300 re-reads each
    python bench/reread_cost.py --threads 10 500 2000 --rereads 500

Prints, per number of tracked threads, the wall time (p50, p99) and CPU time per re-read.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from listener.app import build
from listener.config import parse_config_text
from listener.pipeline import Pipeline
from scrapers.base import Engagement, FetchResult, Post

SOURCE = "pantip-bench"
CONFIG = """
storage: {{url: "sqlite:///{db}"}}
metrics: {{enabled: false}}
tracking: {{requests_per_hour: 1000000000}}
sources:
  - {{name: {source}, kind: pantip, options: {{rooms: [mbk]}}}}
watchlists:
  - {{name: bench, terms: {{th: ["สายฟ้าเน็ต"]}}}}
"""
START = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


class InProcessPantip:
    """Answers `fetch_thread` at once: the topic with a growing comment count and a Pantip-sized cursor."""

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        comments = int((cursor or {}).get("comments", 0)) + 1
        topic = Post(source=SOURCE, kind="pantip", external_id=thread_id, thread_id=thread_id,
                     url=f"https://pantip.com/topic/{thread_id}", title="t", text="t", author="a",
                     posted_at=START - timedelta(hours=1), engagement=Engagement(comments=comments, reactions=3))
        state = {"comments": comments, "replies": {str(n): 7 for n in range(1, 31)}, "reads": comments, "sweep": 0}
        return FetchResult([topic], state, pages_read=2)


def measure(tracked: int, rereads: int, scratch: Path) -> dict[str, float]:
    clock = Clock()
    loaded = parse_config_text(CONFIG.format(db=scratch / f"bench-{tracked}.db", source=SOURCE), base_dir=scratch)
    pipeline = Pipeline(build(loaded, clock=clock, backend=object(), notifier=object()))
    scraper = InProcessPantip()
    ids = [str(43_000_000 + n) for n in range(tracked)]
    for thread_id in ids:  # every thread tracked once: its cursor is in the store
        pipeline._track_thread(scraper, SOURCE, thread_id)
    rng, walls, cpus = random.Random(7), [], []
    for _ in range(rereads):
        clock.now += timedelta(seconds=3)
        thread_id = rng.choice(ids)
        wall, cpu = time.perf_counter(), time.process_time()
        pipeline._track_thread(scraper, SOURCE, thread_id)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    pipeline.parts.store.dispose()
    walls.sort()
    return {"p50_ms": 1000 * statistics.median(walls), "p99_ms": 1000 * walls[int(0.99 * (len(walls) - 1))],
            "cpu_ms": 1000 * statistics.fmean(cpus)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[10, 2000])
    parser.add_argument("--rereads", type=int, default=300)
    args = parser.parse_args()
    print(f"re-read cost, {args.rereads} re-reads of random tracked threads (SQLite file, in-process scraper)")
    print(f"{'tracked threads':>16} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>8}")
    with tempfile.TemporaryDirectory(prefix="fangsiang-bench-") as scratch:
        for tracked in args.threads:
            figures = measure(tracked, args.rereads, Path(scratch))
            print(f"{tracked:>16} {figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f} {figures['cpu_ms']:>8.1f}")
    print("reproduce: python bench/reread_cost.py --threads " + " ".join(map(str, args.threads))
          + f" --rereads {args.rereads}")


if __name__ == "__main__":
    main()
