"""`fangsiang run` as a real process: it ingests on schedule, serves the console, and SIGTERM makes it finish
and exit 0, even while one source waits out a long retry backoff and another reads from a server that drips one
byte at a time."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.fixture_server import Answer, FixtureServer
from tests.process_helpers import query, wait_for
from tests.test_end_to_end import _serve_site

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
http: {{rate_per_host: 0, retries: 0}}
slack: {{token_env: DAEMON_TEST_NO_TOKEN}}
metrics: {{enabled: false}}
console: {{port: {console}}}
scheduler: {{score_every: 1s, dispatch_every: 1s, track_every: 5s, housekeeping_every: 5s}}
sources:
  - name: pantip-mbk
    kind: pantip
    schedule: {{every: 1h}}
    options: {{base_url: "{site}", rooms: [mbk], backfill_hours: 1000000, comments: false}}
  - name: unreachable-feed
    kind: rss
    schedule: {{every: 1h}}
    http: {{retries: 10, backoff_base_s: 30, backoff_max_s: 300}}
    options: {{urls: ["http://127.0.0.1:{closed}/feed.xml"]}}
  - name: dripping-feed
    kind: rss
    schedule: {{every: 1h}}
    http: {{deadline_s: 600, timeout_s: 30}}
    options: {{urls: ["{site}/drip.xml"]}}
watchlists:
  - name: saifah-net
    terms: {{th: ["สายฟ้าเน็ต"]}}
"""


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # bound then released: nothing listens there afterwards
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _count(db: Path, sql: str) -> int:
    rows = query(db, sql)
    return rows[0][0] if rows else 0


def test_run_ingests_then_stops_cleanly_on_sigterm(tmp_path: Path, fixture_server: FixtureServer) -> None:
    _serve_site(fixture_server)
    # One byte a second, for up to DRIP_FOR_S: never a read timeout, and the deadline is ten minutes away.
    fixture_server.add_sequence("GET", "/drip.xml", [Answer(body=b"<rss>" + b" " * 500 + b"</rss>", drip_s=1.0)])
    db = tmp_path / "daemon.db"
    config = tmp_path / "config.yaml"
    console = _closed_port()
    config.write_text(CONFIG.format(db=db, site=fixture_server.base_url, closed=_closed_port(), console=console),
                      encoding="utf-8")
    daemon = subprocess.Popen([sys.executable, "-m", "listener.cli", "--config", str(config), "run"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: _count(db, "SELECT count(*) FROM posts WHERE scored_at IS NOT NULL") == 4)
        assert fixture_server.requests_to("/drip.xml") != []
        with urllib.request.urlopen(f"http://127.0.0.1:{console}/sources", timeout=10) as page:
            assert "pantip-mbk" in page.read().decode()  # the console reads the daemon's own database
        daemon.send_signal(signal.SIGTERM)
        output, _ = daemon.communicate(timeout=20)  # a hang guard: the drip would hold shutdown for a minute
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, output
    assert "stopped" in output and f"console on http://127.0.0.1:{console}" in output
    # the unreachable feed was waiting out a long retry backoff: shutdown interrupts it instead of waiting
    assert "unreachable-feed: interrupted by shutdown" in output
    assert "dripping-feed: interrupted by shutdown" in output  # mid-request: the stop flag ended the read
    assert _count(db, "SELECT count(*) FROM matches WHERE watchlist = 'saifah-net'") == 3
