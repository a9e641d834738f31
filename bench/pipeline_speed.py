"""End-to-end speed of the daemon's path on one CPU core: ingest → match → score → evaluate → dispatch.

    OMP_NUM_THREADS=1 python -m bench.pipeline_speed [--data DIR] [--posts 5000] [--page 100] [--match 0.2]
        [--db URL] [--slack]

Posts are built from the `dev.jsonl` splits under `--data` (Thai, English and Chinese data sets in turn), each
a topic of its own; a `--match` share of them name the watched brand ("สายฟ้าเน็ต", "SaiFah Net", "闪电网").
A source serves them `--page` at a time, and each page goes through the real stages the way the daemon's
ticks do (`Pipeline.ingest`, `score`, `evaluate`, `dispatch`) on a SQLite file (or `--db`), with the shipped
model. Alerts go to a sink that accepts everything, or with `--slack` through the real slack_sdk client to the
local Slack test server. HTTP fetching and page parsing are not included (see bench/parse_speed.py).

Prints the command, then posts/s per stage (the score stage split into matching + storage and the model
itself) and overall, p50/p99 latency from ingest to delivered alert for matched posts, and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.types import Alert, Delivery  # noqa: E402
from listener.app import build  # noqa: E402
from listener.config import parse_config_text  # noqa: E402
from listener.pipeline import Pipeline  # noqa: E402
from scrapers.base import Engagement, FetchResult, Post  # noqa: E402

DEFAULT_DATA = Path("../shared/data")
BRAND = {"th": "สายฟ้าเน็ต", "en": "SaiFah Net", "zh": "闪电网"}
SOURCE = "bench-feed"
CONFIG = """
storage: {{url: "{url}"}}
metrics: {{enabled: false}}
model: {{batch_size: 256}}
alerting: {{default_channel: "#care", cooldown_minutes: 0, daily_summary_at: null, channel_budget_per_hour: 1000000}}
slack: {{token_env: BENCH_NO_SLACK_TOKEN}}
sources:
  - {{name: {source}, kind: rss, alert_on_backfill: true, options: {{urls: ["http://127.0.0.1:9/unused.xml"]}}}}
watchlists:
  - name: saifah-net
    terms: {{th: ["{th}"], en: ["{en}"], zh: ["{zh}"]}}
    route: {{digest_below: watch}}
    tiers: {{watch: 0.2, high: 0.6, critical: 0.85}}
"""


def load_texts(data: Path, count: int) -> list[tuple[str, str]]:
    """(language, text) pairs taken in turn from every th-/en-/zh- data set, so the languages stay mixed."""
    pools = []
    for folder in sorted(p for p in data.iterdir() if p.name[:3] in ("th-", "en-", "zh-")):
        with open(folder / "dev.jsonl", encoding="utf-8") as lines:
            pools.append([(folder.name[:2], json.loads(line)["text"]) for line in lines if line.strip()])
    if not pools:
        raise SystemExit(f"no th-/en-/zh- data sets with dev.jsonl under {data}")
    return [pools[i % len(pools)][(i // len(pools)) % len(pools[i % len(pools)])] for i in range(count)]


def make_posts(texts: Sequence[tuple[str, str]], match_share: float) -> tuple[list[Post], set[str]]:
    """One topic per text; every (1 / match_share)-th names the brand. Returns the posts and the matched ids."""
    now = datetime.now(timezone.utc)
    every = max(1, round(1 / match_share)) if match_share > 0 else 0
    posts, matched = [], set()
    for i, (lang, text) in enumerate(texts):
        pid = str(i + 1)
        if every and i % every == 0:
            text = f"{BRAND[lang]} {text}"
            matched.add(pid)
        posts.append(Post(source=SOURCE, kind="rss", external_id=pid, thread_id=pid,
                          url=f"https://example.invalid/t/{pid}", title="", text=text, author=f"user{i % 997}",
                          posted_at=now - timedelta(seconds=len(texts) - i), engagement=Engagement(comments=1)))
    return posts, matched


class PagedFeed:
    """A source that hands out the posts `page` at a time from its cursor, noting when each post was read."""

    def __init__(self, posts: list[Post], page: int) -> None:
        self.posts, self.page = posts, page
        self.read_at: dict[str, float] = {}

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        start = int((cursor or {}).get("offset", 0))
        chunk = self.posts[start:start + self.page]
        now = time.perf_counter()
        self.read_at.update((p.external_id, now) for p in chunk)
        return FetchResult(chunk, {"offset": start + len(chunk)})


class AcceptingSink:
    """The alert sink when no Slack is wanted: accepts every alert and notes when it arrived."""

    def __init__(self) -> None:
        self.delivered: dict[str, float] = {}
        self._count = 0

    def deliver(self, alert: Alert) -> Delivery:
        self._count += 1
        self.delivered.setdefault(alert.url, time.perf_counter())
        return Delivery(ok=True, channel=alert.channel, ts=f"1700000000.{self._count:06d}")


class TimedSlack:
    """The real SlackNotifier, with the arrival time of each alert noted the same way."""

    def __init__(self, notifier: Any) -> None:
        self.notifier = notifier
        self.delivered: dict[str, float] = {}

    def deliver(self, alert: Alert) -> Delivery:
        delivery = self.notifier.deliver(alert)
        if delivery.ok:
            self.delivered.setdefault(alert.url, time.perf_counter())
        return delivery


class TimedModel:
    """Wraps the model so the score stage can be split into matching/storage and the model itself."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.seconds = self.cpu_seconds = 0.0
        self.texts = 0

    def predict(self, texts: Sequence[str]) -> list[Any]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return self.backend.predict(texts)
        finally:
            self.seconds += time.perf_counter() - wall
            self.cpu_seconds += time.process_time() - cpu
            self.texts += len(texts)


@dataclass
class Timings:
    """Wall and CPU seconds per stage; CPU time shows how much of the wall time other processes took."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def run(self, stage: str, call: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = call()
        self.wall[stage] = self.wall.get(stage, 0.0) + time.perf_counter() - wall
        self.cpu[stage] = self.cpu.get(stage, 0.0) + time.process_time() - cpu
        return result


def run(self, stage: str, call: Any) -> Any:
        start = time.perf_counter()
        result = call()
        self.stages[stage] += time.perf_counter() - start
        return result


def run(pipeline: Pipeline, feed: PagedFeed, total: int) -> Timings:
    """Ingest page by page; after each page score, evaluate and dispatch, as the daemon's ticks would."""
    timings = Timings()
    ingested = 0
    while ingested < total:
        result = timings.run("ingest", lambda: pipeline.ingest(SOURCE))
        if result.error or not result.fetched:
            raise SystemExit(f"ingest stopped: {result.error or 'nothing fetched'}")
        ingested += result.new
        timings.run("score", pipeline.score)
        timings.run("evaluate", pipeline.evaluate)
        timings.run("dispatch", pipeline.dispatch)
    timings.run("dispatch", pipeline.dispatch)  # rows left waiting behind the last page's
    return timings


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(args: argparse.Namespace, timings: Timings, model: "TimedModel", load_s: float,
           latencies: list[float], matched: int) -> None:
    n = args.posts
    print(f"posts {n}, matched {matched}, alerts delivered {len(latencies)}, page {args.page}, "
          f"sink {'slack test server' if args.slack else 'accepting sink'}, db {args.db or 'sqlite file'}")
    print(f"start-up (config, migrations, model, watchlists, warm-up): {load_s:.2f} s")
    print(f"  {'stage':<12} {'wall s':>8} {'cpu s':>8} {'posts/s':>9}")
    wall, cpu = dict(timings.wall), dict(timings.cpu)
    wall["score"], cpu["score"] = wall["score"] - model.seconds, cpu["score"] - model.cpu_seconds
    rows = [("ingest", "ingest"), ("match+store", "score"), ("evaluate", "evaluate"), ("dispatch", "dispatch")]
    for label, key in rows:
        print(f"  {label:<12} {wall[key]:8.2f} {cpu[key]:8.2f} {n / wall[key]:9.0f}")
    print(f"  {'model':<12} {model.seconds:8.2f} {model.cpu_seconds:8.2f} {n / model.seconds:9.0f}"
          f"   ({model.texts} matched texts, {model.texts / model.seconds:.0f} texts/s)")
    total_wall, total_cpu = sum(timings.wall.values()), sum(timings.cpu.values())
    print(f"  {'overall':<12} {total_wall:8.2f} {total_cpu:8.2f} {n / total_wall:9.0f}"
          f"   ({n / total_cpu:.0f} posts per CPU second)")
    if latencies:
        ms = [x * 1000 for x in latencies]
        print(f"ingest -> alert latency: p50 {percentile(ms, 0.5):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms, "
              f"max {max(ms):.0f} ms (matched posts whose alert was delivered)")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of the process): {peak_mib:.0f} MiB")


def build_pipeline(url: str, slack_url: str | None, token: str | None) -> Pipeline:
    loaded = parse_config_text(CONFIG.format(url=url, source=SOURCE, **BRAND), base_dir=Path.cwd())
    if slack_url:
        from alerts.slack import SlackNotifier

        notifier: Any = TimedSlack(SlackNotifier(token or "", base_url=slack_url))
    else:
        notifier = AcceptingSink()
    pipeline = Pipeline(build(loaded, notifier=notifier))
    # Warm up what loads lazily (word segmenters, dictionaries), as a daemon does once at its first tick.
    samples = [f"{brand} warm-up" for brand in BRAND.values()]
    pipeline.parts.backend.predict(samples)
    for text in samples:
        pipeline.parts.watchlists.current.match(text, source=SOURCE)
    pipeline.parts.backend = TimedModel(pipeline.parts.backend)
    return pipeline


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of <data set>/dev.jsonl")
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--page", type=int, default=100, help="posts per source fetch (one daemon tick)")
    parser.add_argument("--match", type=float, default=0.2, help="share of posts naming the watched brand")
    parser.add_argument("--db", help="SQLAlchemy URL (default: a new SQLite file in a temporary folder)")
    parser.add_argument("--slack", action="store_true", help="deliver to the local Slack test server")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, whatever the machine has
    print("command: OMP_NUM_THREADS=1 python -m bench.pipeline_speed " + " ".join(argv or sys.argv[1:]))
    posts, matched = make_posts(load_texts(args.data, args.posts), args.match)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        slack = _start_slack() if args.slack else None
        try:
            start = time.perf_counter()
            pipeline = build_pipeline(url, slack.api_url if slack else None, slack.token if slack else None)
            load_s = time.perf_counter() - start
            feed = PagedFeed(posts, args.page)
            pipeline.parts.scrapers[SOURCE] = feed
            timings = run(pipeline, feed, len(posts))
        finally:
            if slack is not None:
                slack.stop()
        delivered = pipeline.parts.notifier.delivered
        latencies = [delivered[p.url] - feed.read_at[p.external_id] for p in posts if p.url in delivered]
        report(args, timings, pipeline.parts.backend, load_s, latencies, len(matched))
    return 0


def _start_slack() -> Any:
    from tests.slack_server import SlackTestServer

    return SlackTestServer().start()


if __name__ == "__main__":
    sys.exit(main())
