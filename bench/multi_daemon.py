"""N `fangsiang run` processes on the local PostgreSQL, against growing feeds on 127.0.0.1 and the local Slack
test server, optionally killing one daemon with SIGKILL every few seconds (and starting it again).

Prints, per run: requests per source against one daemon's share (duration / interval), posts published vs
stored (lost, duplicated), alerts decided vs Slack messages (lost, duplicated keys), and throughput: posts/s
through scoring and alerts/s into Slack, from the first to the last scored post / sent alert.

    python -m bench.multi_daemon --daemons 1 2 4 --seconds 60            # the scaling curve
    python -m bench.multi_daemon --daemons 3 --seconds 90 --kill-every 15   # faults: kill -9 one, repeatedly

Too slow for CI (each daemon loads the model); needs PostgreSQL on 127.0.0.1:5432 (database `test`).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.slack_server import SlackTestServer

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TOKEN_ENV = "BENCH_MULTI_SLACK_TOKEN"
COMPLAINTS = ["สายฟ้าเน็ต เน็ตหลุดทุกคืน แจ้งแล้วไม่แก้ จะร้องเรียน สคบ.", "SaiFah Net charged me twice, refund now",
              "สายฟ้าเน็ต ค่าบริการแพงแต่เน็ตช้ามาก ผิดหวังสุดๆ", "ร้านกาแฟแถวสยามร้านไหนอร่อย"]
CONFIG = """
storage: {{url: "{url}"}}
http: {{rate_per_host: 0, retries: 0}}
slack: {{token_env: {token_env}, base_url: "{slack}", timeout_s: 5}}
metrics: {{enabled: false}}
alerting: {{default_channel: "#care", cooldown_minutes: 0, daily_summary_at: null, channel_budget_per_hour: 100000}}
scheduler: {{score_every: 1s, dispatch_every: 1s, track_every: 1h, housekeeping_every: 1m, workers: 2, lease: 5s}}
sources:
{sources}
watchlists:
  - name: saifah-net
    terms: {{th: ["สายฟ้าเน็ต"], en: ["SaiFah Net"]}}
    route: {{digest_below: null}}
    tiers: {{watch: 0.05, high: 0.6, critical: 0.95}}
"""


class Feeds:
    """`feeds` RSS feeds that each gain `rate` entries per second; every request is counted per feed."""

    def __init__(self, feeds: int, rate: float) -> None:
        self.feeds, self.rate, self.started = feeds, rate, time.monotonic()
        self.frozen: int | None = None  # set: nothing new is published any more
        self.requests = [0] * feeds
        self.lock = threading.Lock()
        handler = type("H", (_FeedHandler,), {"feeds": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def published(self) -> int:
        if self.frozen is not None:
            return self.frozen
        return int((time.monotonic() - self.started) * self.rate)

    def body(self, feed: int) -> bytes:
        with self.lock:
            self.requests[feed] += 1
        newest = self.published()
        items = "".join(
            f"<item><title>{COMPLAINTS[i % len(COMPLAINTS)]} #{feed}-{i}</title><link>https://example.com/{feed}/{i}"
            f"</link><guid>f{feed}-{i}</guid><pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())}"
            f"</pubDate></item>" for i in range(max(0, newest - 400), newest))
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{feed}</title>{items}</channel></rss>'.encode()


class _FeedHandler(BaseHTTPRequestHandler):
    feeds: Feeds

    def do_GET(self) -> None:
        if not self.path.startswith("/feed-"):  # robots.txt: none, so everything is allowed
            self.send_error(404)
            return
        body = self.feeds.body(int(self.path[len("/feed-"):].split(".")[0]))
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


def run(daemons: int, seconds: float, kill_every: float, feeds_count: int, every: float, rate: float) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    feeds, slack = Feeds(feeds_count, rate), SlackTestServer().start()
    folder = Path(tempfile.mkdtemp(prefix="multi-daemon-"))
    sources = "\n".join(f"  - name: feed-{n}\n    kind: rss\n    alert_on_backfill: true\n    schedule: {{every: {every}s}}"
                        f"\n    options: {{urls: [\"{feeds.url}/feed-{n}.xml\"]}}" for n in range(feeds_count))
    config = folder / "config.yaml"
    config.write_text(CONFIG.format(url=url, token_env=TOKEN_ENV, slack=slack.api_url, sources=sources),
                      encoding="utf-8")
    env = {**os.environ, TOKEN_ENV: slack.token, "OMP_NUM_THREADS": "1"}

    def start(n: int) -> subprocess.Popen[bytes]:
        log = (folder / f"daemon-{n}.log").open("ab")
        return subprocess.Popen([sys.executable, "-m", "listener.cli", "--config", str(config), "run"], env=env,
                                stdout=log, stderr=subprocess.STDOUT)

    procs = [start(n) for n in range(daemons)]
    while not all("fangsiang running" in (folder / f"daemon-{n}.log").read_text(errors="replace")
                  for n in range(daemons)):
        time.sleep(0.5)
    feeds.started, feeds.requests = time.monotonic(), [0] * feeds_count  # the clock starts when all are up
    kills, deadline, next_kill = 0, time.monotonic() + seconds, time.monotonic() + kill_every
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if kill_every and time.monotonic() >= next_kill:
            victim = random.randrange(daemons)
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait()
            procs[victim], kills, next_kill = start(victim), kills + 1, next_kill + kill_every
    published = feeds.frozen = feeds.published()  # nothing new from here; the daemons drain what was published
    requests = list(feeds.requests)  # the window's requests; the drain below polls on
    engine = create_engine(url)
    _drain(engine, published * feeds_count)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=120)
    _report(engine, feeds, slack, daemons, seconds, every, published, kills, requests)
    engine.dispose()
    slack.stop()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def _drain(engine: Any, expected_posts: int, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM posts WHERE evaluated_at IS NOT NULL")).scalar()
            open_rows = conn.execute(text("SELECT count(*) FROM outbox WHERE status IN ('pending','sending')")).scalar()
        if stored >= expected_posts and open_rows == 0:
            return
        time.sleep(1)


def _report(engine: Any, feeds: Feeds, slack: SlackTestServer, daemons: int, seconds: float, every: float,
            published: int, kills: int, requests: list[int]) -> None:
    with engine.connect() as conn:
        posts, distinct = conn.execute(text("SELECT count(*), count(DISTINCT (source, external_id)) FROM posts")).one()
        span = conn.execute(text("SELECT extract(epoch FROM max(scored_at) - min(first_seen_at)) FROM posts")).scalar()
        sent = conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar()
        decided = conn.execute(text("SELECT count(*) FROM outbox")).scalar()
        sent_span = conn.execute(text("SELECT extract(epoch FROM max(sent_at) - min(created_at)) FROM outbox")).scalar()
    keys = [m.get("metadata", {}).get("event_payload", {}).get("key") for m in slack.messages("#care")]
    one_daemon = seconds / every + 1
    print(f"daemons={daemons} seconds={seconds:.0f} kills={kills}")
    print(f"  requests per source in {seconds:.0f} s: {requests} (one daemon's share ~{one_daemon:.0f}; "
          f"worst {max(requests) / one_daemon:.2f}x)")
    print(f"  posts: published {published * feeds.feeds}, stored {posts}, lost {published * feeds.feeds - distinct}, "
          f"duplicated {posts - distinct}")
    print(f"  alerts: decided {decided}, sent {sent}, slack messages {len(keys)}, duplicated keys "
          f"{len(keys) - len(set(keys))}")
    print(f"  throughput: {posts / float(span or 1):.1f} posts/s through scoring, {sent / float(sent_span or 1):.1f} "
          f"alerts/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--daemons", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kill-every", type=float, default=0, help="SIGKILL one daemon this often (0: never)")
    parser.add_argument("--feeds", type=int, default=6)
    parser.add_argument("--every", type=float, default=2, help="each feed's schedule, seconds")
    parser.add_argument("--rate", type=float, default=5, help="new entries per feed per second")
    args = parser.parse_args()
    print("command: python -m bench.multi_daemon " + " ".join(sys.argv[1:]))
    for daemons in args.daemons:
        run(daemons, args.seconds, args.kill_every, args.feeds, args.every, args.rate)


if __name__ == "__main__":
    main()
