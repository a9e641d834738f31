"""Several `fangsiang run` processes on one PostgreSQL database share the work instead of repeating it.

Two daemons poll three feeds served on 127.0.0.1, each every 2 s: together they make about one request per
feed per interval (two daemons that each scheduled every source would make twice that), both take part, and
each entry is stored once. Then one daemon is killed with SIGKILL: the other takes over every feed, still
polling each about once per interval. Skipped when PostgreSQL is not reachable on 127.0.0.1:5432.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text

from tests.fixture_server import FixtureServer
from tests.process_helpers import wait_for

FEEDS = 3
EVERY_S = 2.0
CONFIG = """
storage: {{url: "{url}"}}
http: {{rate_per_host: 0, retries: 0}}
slack: {{token_env: MULTI_DAEMON_TEST_NO_TOKEN}}
metrics: {{enabled: false}}
scheduler: {{score_every: 1s, dispatch_every: 1s, track_every: 1m, housekeeping_every: 1m, workers: 2, lease: 3s}}
sources:
{sources}
watchlists:
  - name: acme
    terms: {{en: ["Acme"]}}
"""
SOURCE = """  - name: feed-{n}
    kind: rss
    schedule: {{every: 2s}}
    options: {{urls: ["{site}/feed-{n}.xml"]}}"""
ENTRY = "<item><title>Acme outage report {n}-{i}</title><link>https://example.com/{n}/{i}</link>" \
        "<guid>feed-{n}-{i}</guid><pubDate>Tue, 01 Dec 2026 10:0{i}:00 GMT</pubDate></item>"


def _serve_feeds(server: FixtureServer) -> None:
    for n in range(FEEDS):
        items = "".join(ENTRY.format(n=n, i=i) for i in range(3))
        server.add("GET", f"/feed-{n}.xml", body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{n}'
                   f'</title>{items}</channel></rss>', content_type="application/rss+xml")


def _requests(server: FixtureServer) -> list[int]:
    return [len(server.requests_to(f"/feed-{n}.xml")) for n in range(FEEDS)]


def _start(config: Path, log: IO[str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "listener.cli", "--config", str(config), "run"],
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=log, stderr=subprocess.STDOUT,
                            text=True)


def _polls(log: Path) -> int:
    return len(re.findall(r"source feed-\d: \d+ fetched", log.read_text(encoding="utf-8")))


def test_two_daemons_poll_each_feed_once_per_interval_and_one_takes_over_when_the_other_dies(
        tmp_path: Path, fixture_server: FixtureServer, postgres_schema_url: str) -> None:
    _serve_feeds(fixture_server)
    sources = "\n".join(SOURCE.format(n=n, site=fixture_server.base_url) for n in range(FEEDS))
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(url=postgres_schema_url, sources=sources), encoding="utf-8")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    files = [log.open("w", encoding="utf-8") for log in logs]
    daemons = [_start(config, file) for file in files]
    try:
        assert wait_for(lambda: all("fangsiang running" in log.read_text(encoding="utf-8") for log in logs),
                        timeout=300), [log.read_text(encoding="utf-8")[-2000:] for log in logs]
        before, started = _requests(fixture_server), time.monotonic()
        time.sleep(8 * EVERY_S)
        both = [after - was for after, was in zip(_requests(fixture_server), before)]
        intervals = (time.monotonic() - started) / EVERY_S
        # once per interval in total (+ one for the window's edges and tick lateness); not once per daemon
        assert all(2 <= count <= intervals + 2 for count in both), (both, intervals)
        # who claims a feed first is a race each interval: on a loaded machine one daemon can win a few in a row
        assert wait_for(lambda: all(_polls(log) > 0 for log in logs), timeout=20 * EVERY_S), "both daemons take part"

        daemons[0].send_signal(signal.SIGKILL)
        daemons[0].wait(timeout=30)
        time.sleep(EVERY_S * 2)  # the dead daemon's claims run out (lease: 3 s)
        before, started = _requests(fixture_server), time.monotonic()
        time.sleep(6 * EVERY_S)
        alone = [after - was for after, was in zip(_requests(fixture_server), before)]
        intervals = (time.monotonic() - started) / EVERY_S
        assert all(2 <= count <= intervals + 2 for count in alone), (alone, intervals)  # every feed taken over

        daemons[1].send_signal(signal.SIGTERM)
        daemons[1].wait(timeout=60)
        assert daemons[1].returncode == 0, logs[1].read_text(encoding="utf-8")[-3000:]
    finally:
        for daemon in daemons:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait(timeout=30)
        for file in files:
            file.close()
    engine = create_engine(postgres_schema_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*), count(DISTINCT external_id) FROM posts")).one()
    engine.dispose()
    assert tuple(stored) == (FEEDS * 3, FEEDS * 3)
    for log in logs:
        assert "Traceback" not in log.read_text(encoding="utf-8"), log.read_text(encoding="utf-8")[-3000:]
