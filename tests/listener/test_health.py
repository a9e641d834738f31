"""Source health through the whole pipeline: a broken source is reported once to the ops channel, reminded,
reported again when it recovers, and never stops the other sources."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerts.slack import SlackNotifier
from listener.app import build
from listener.config import parse_config_text
from listener.pipeline import Pipeline
from tests.fixture_server import FIXTURES, Answer, FixtureServer
from tests.slack_server import SlackTestServer
from tests.test_end_to_end import _serve_site

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
http: {{rate_per_host: 0, retries: 0}}
alerting: {{ops_channel: "#ops", daily_summary_at: null}}
health: {{failures_before_degraded: 2, remind_every: 6h}}
sources:
  - {{name: pantip-mbk, kind: pantip, options: {{base_url: "{site}", rooms: [mbk], backfill_hours: 1000000, comments: false}}}}
  - {{name: brand-blog, kind: rss, options: {{urls: ["{site}/feed.xml"]}}}}
watchlists:
  - {{name: saifah-net, terms: {{th: ["สายฟ้าเน็ต"]}}}}
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def pipeline(tmp_path: Path, fixture_server: FixtureServer, slack_server: SlackTestServer) -> Pipeline:
    _serve_site(fixture_server)
    failures = [Answer.text("upstream exploded", status=500)] * 4
    fixture_server.add_sequence("GET", "/feed.xml", [*failures, Answer.from_file(FIXTURES / "rss/brand_blog_atom_synthetic.xml")])
    loaded = parse_config_text(CONFIG.format(db=tmp_path / "h.db", site=fixture_server.base_url), base_dir=tmp_path)
    notifier = SlackNotifier(slack_server.token, base_url=slack_server.api_url, timeout=5)
    return Pipeline(build(loaded, notifier=notifier, clock=Clock()))


def _ops(slack_server: SlackTestServer) -> list[str]:
    return [m["text"] for m in slack_server.messages("#ops")]


def test_degraded_once_reminded_then_recovered(pipeline: Pipeline, slack_server: SlackTestServer) -> None:
    clock = pipeline.parts.clock
    first = pipeline.run_once()
    assert {r.source: r.new for r in first.ingested}["pantip-mbk"] == 4  # the broken feed stops nothing
    assert "500" in {r.source: r.error for r in first.ingested}["brand-blog"]
    assert _ops(slack_server) == []  # one failure is not yet an outage

    clock.now += timedelta(minutes=5)
    pipeline.run_once()
    ops = _ops(slack_server)
    assert len(ops) == 1 and "brand-blog" in ops[0] and "blind" in ops[0]

    clock.now += timedelta(minutes=5)
    pipeline.run_once()
    assert len(_ops(slack_server)) == 1  # reported once, not every run

    clock.now += timedelta(hours=7)
    pipeline.run_once()
    ops = _ops(slack_server)
    assert len(ops) == 2 and "still blind" in ops[1]

    clock.now += timedelta(minutes=5)
    result = pipeline.run_once()  # the feed answers again
    assert {r.source: r.error for r in result.ingested}["brand-blog"] is None
    ops = _ops(slack_server)
    assert len(ops) == 3 and "recovered" in ops[2]


def test_status_shows_the_degraded_source(pipeline: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    from listener.describe import describe_health

    pipeline.run_once()
    pipeline.parts.clock.now += timedelta(minutes=5)
    pipeline.run_once()
    table = describe_health(pipeline.parts.store)
    assert "brand-blog" in table and "DEGRADED" in table and "pantip-mbk" in table
