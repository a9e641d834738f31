"""What re-reading costs on a busy day: requests per hour a source spends on the thread tracker.

A day on which `--threads` incidents open on one Pantip source, evenly over 24 hours, each on a thread whose
comments arrive at the times of a real forum growth curve (`thread-growth`, kind forum-thread, observed for at
least two days, at least 10 comments; a seeded sample). The daemon's own track stage runs every minute on a
simulated clock for `--hours`, with the real Pantip scraper (comment paging, the reply sweep), the real tracker
(re-read pace, budget) and a real SQLite store; only Pantip itself is simulated in-process,
answering each request with the comments posted by the simulated time. Run once per budget given.

    python bench/reread_busy_day.py --data ../shared/data/thread-growth/threads.jsonl
    python bench/reread_busy_day.py --data FILE --threads 300 --budget 1200 1000000

Prints per budget: re-reads, requests per hour (mean over the hours with open incidents, peak hour), how many
minutes the budget held threads back, and how late the re-reads ran after their due time (p50, p90).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from listener.app import build
from listener.config import parse_config_text
from listener.demo import SITE
from listener.pipeline import Pipeline
from listener.store import incidents_repo
from listener.store.models import Incident, PostRow
from scrapers.pantip import PantipOptions, PantipScraper
from scrapers.response import Response

SOURCE = "pantip-busy"
START = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
CONFIG = """
storage: {{url: "sqlite:///{db}"}}
metrics: {{enabled: false}}
tracking: {{requests_per_hour: {budget}}}
sources:
  - {{name: {source}, kind: pantip, options: {{rooms: [mbk]}}}}
watchlists:
  - {{name: busy, terms: {{th: ["สายฟ้าเน็ต"]}}}}
"""
_DEMO = json.loads((SITE / "forum/topic/render_comments/43600001.json").read_text(encoding="utf-8-sig"))
COMMENT = _DEMO["comments"][1]
TOPIC_PAGE = (SITE / "topic/43600001.html").read_text(encoding="utf-8")


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


class SimulatedPantip:
    """Answers the Pantip scraper's requests in-process: topic pages and `render_comments` pages holding the
    comments posted by the simulated time. Counts requests per simulated hour."""

    def __init__(self, clock: Clock, threads: Mapping[str, tuple[datetime, list[float]]]) -> None:
        self.clock, self.threads = clock, threads
        self.per_hour: Counter[int] = Counter()

    def get(self, url: str, *, params: Mapping[str, Any] | None = None, **_: Any) -> Response:
        self.per_hour[int((self.clock() - START) / timedelta(hours=1))] += 1
        path = urlsplit(url).path
        if path.startswith("/topic/"):
            tid = path.rsplit("/", 1)[1]
            return Response(200, url, TOPIC_PAGE.replace("43600001", tid).encode(), {"content-type": "text/html"})
        tid, page = str((params or {})["tid"]), str((params or {}).get("param") or "page1")
        root, times = self.threads[tid]
        seen = [t for t in times if root + timedelta(seconds=t) <= self.clock()]
        number = int(page.removeprefix("page"))
        comments = [dict(COMMENT, _id=n, comment_no=n, reply_count=0, replies=[],
                         created_time=str(int((root + timedelta(seconds=seen[n - 1])).timestamp())))
                    for n in range((number - 1) * 100 + 1, min(number * 100, len(seen)) + 1)]
        body = {"count": len(seen), "paging": {"page": number, "limit": 100}, "comments": comments}
        return Response(200, url, json.dumps(body).encode(), {"content-type": "application/json"})


def load_curves(path: Path, count: int, seed: int) -> list[list[float]]:
    curves = []
    for line in path.open(encoding="utf-8"):
        item = json.loads(line)
        observed = (item.get("meta") or {}).get("observed_s")
        if item["kind"] == "forum-thread" and item["final_size"] >= 10 and (observed is None or observed >= 172_800):
            curves.append(item["reply_times"])
    return random.Random(seed).sample(curves, count)


def run(curves: list[list[float]], budget: int, hours: float, scratch: Path) -> dict[str, Any]:
    clock = Clock()
    gap = timedelta(hours=24) / len(curves)
    threads = {str(44_000_000 + n): (START + n * gap, times) for n, times in enumerate(curves)}
    loaded = parse_config_text(CONFIG.format(db=scratch / f"busy-{budget}.db", budget=budget, source=SOURCE),
                               base_dir=scratch)
    pipeline = Pipeline(build(loaded, clock=clock, backend=object(), notifier=object()))
    site = SimulatedPantip(clock, threads)
    scraper = PantipScraper(SOURCE, PantipOptions(rooms=["mbk"]), site, clock=clock)  # type: ignore[arg-type]
    pipeline.parts.scrapers[SOURCE] = scraper
    pending, late, held, rereads = sorted(threads.items(), key=lambda kv: kv[1][0]), [], 0, 0
    while clock.now < START + timedelta(hours=hours):
        while pending and pending[0][1][0] <= clock.now:
            tid, (root, _) = pending.pop(0)
            _open_incident(pipeline, tid, root, clock.now)
        with pipeline.parts.store.session() as session:
            due = {(i.source, i.thread_id): i.next_poll_at
                   for i in incidents_repo.incidents_due_for_poll(session, clock.now)}
        pipeline.track()
        with pipeline.parts.store.session() as session:
            still = {(i.source, i.thread_id) for i in incidents_repo.incidents_due_for_poll(session, clock.now)}
        read = [when for key, when in due.items() if key not in still]
        late += [(clock.now - when).total_seconds() for when in read]
        rereads += len(read)
        held += bool(still)  # the budget ran out with threads still due
        clock.now += timedelta(minutes=1)
    pipeline.parts.store.dispose()
    active = [site.per_hour[h] for h in range(24 + 2)]  # the hours in which incidents were opening
    late.sort()
    return {"rereads": rereads, "requests": sum(site.per_hour.values()), "mean": statistics.fmean(active),
            "peak": max(site.per_hour.values()), "held": held, "late_p50": late[len(late) // 2] if late else 0.0,
            "late_p90": late[int(0.9 * (len(late) - 1))] if late else 0.0}


def _open_incident(pipeline: Pipeline, tid: str, root: datetime, now: datetime) -> None:
    """A topic as the listing stored it and the incident its first post opened, read by the tracker at once."""
    with pipeline.parts.store.session() as session:
        session.add(PostRow(source=SOURCE, kind="pantip", external_id=tid, thread_id=tid, url="", title="t",
                            text="t", author="a", posted_at=root, first_seen_at=now))
        session.add(Incident(source=SOURCE, thread_id=tid, watchlist="busy", opened_at=now, updated_at=now,
                             last_activity_at=now, next_poll_at=now))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="thread-growth threads.jsonl")
    parser.add_argument("--threads", type=int, default=200, help="incidents opening over the day")
    parser.add_argument("--hours", type=float, default=36.0, help="simulated time")
    parser.add_argument("--budget", type=int, nargs="+", default=[1200, 1_000_000], help="requests_per_hour values")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    curves = load_curves(args.data, args.threads, args.seed)
    print(f"busy day: {args.threads} incidents opening over 24 h on one source (forum growth curves, median "
          f"{statistics.median(len(c) for c in curves):.0f} comments, largest {max(len(c) for c in curves)}), "
          f"{args.hours:g} h simulated, track every minute")
    print(f"{'budget/h':>10} {'re-reads':>9} {'requests':>9} {'mean/h':>7} {'peak/h':>7} {'held':>5} "
          f"{'late p50':>9} {'late p90':>9}")
    with tempfile.TemporaryDirectory(prefix="fangsiang-bench-") as scratch:
        for budget in args.budget:
            r = run(curves, budget, args.hours, Path(scratch))
            print(f"{budget:>10} {r['rereads']:>9} {r['requests']:>9} {r['mean']:>7.0f} {r['peak']:>7} "
                  f"{r['held']:>5} {r['late_p50']:>8.0f}s {r['late_p90']:>8.0f}s")
    print(f"reproduce: python bench/reread_busy_day.py --data {args.data} --threads {args.threads} "
          f"--hours {args.hours:g} --budget {' '.join(map(str, args.budget))} --seed {args.seed}")


if __name__ == "__main__":
    main()
