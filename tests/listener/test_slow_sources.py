"""A server that drips one byte at a time does not hold `fangsiang once`: the source gets its deadline and
the later sources, scoring and dispatch run. (SIGTERM while a server drips: tests/test_daemon.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.cli import main
from tests.fixture_server import Answer, FixtureServer
from tests.process_helpers import query
from tests.test_end_to_end import _serve_site

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
http: {{rate_per_host: 0, retries: 0}}
slack: {{token_env: SLOW_TEST_NO_TOKEN}}
metrics: {{enabled: false}}
scheduler: {{score_every: 1s, dispatch_every: 1s, track_every: 1h, housekeeping_every: 1h}}
sources:
  - name: dripping-feed
    kind: rss
    schedule: {{every: 1h}}
    http: {{deadline_s: {deadline}, timeout_s: 20}}
    options: {{urls: ["{site}/drip.xml"]}}
  - name: pantip-mbk
    kind: pantip
    schedule: {{every: 1h}}
    options: {{base_url: "{site}", rooms: [mbk], backfill_hours: 1000000, comments: false}}
watchlists:
  - name: saifah-net
    terms: {{th: ["สายฟ้าเน็ต"]}}
"""


def _site(server: FixtureServer) -> None:
    _serve_site(server)
    # One byte every 0.5 s: far inside the 20 s read timeout, so only a deadline can end it.
    server.add_sequence("GET", "/drip.xml", [Answer(body=b"<rss>" + b" " * 200 + b"</rss>", drip_s=0.5)])


def _config(tmp_path: Path, server: FixtureServer, deadline: float) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "slow.db", site=server.base_url, deadline=deadline), encoding="utf-8")
    return path


def test_once_gives_a_dripping_source_its_deadline_then_carries_on(
        tmp_path: Path, fixture_server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    _site(fixture_server)
    assert main(["--config", str(_config(tmp_path, fixture_server, deadline=1)), "once"]) == 0
    printed = capsys.readouterr().out
    assert "source dripping-feed: error:" in printed and "within the 1 s deadline" in printed
    assert "source pantip-mbk: 4 fetched, 4 new" in printed  # the later source, scoring and dispatch still ran
    assert query(tmp_path / "slow.db", "SELECT count(*) FROM posts WHERE scored_at IS NOT NULL") == [(4,)]
