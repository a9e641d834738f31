"""`fangsiang once` end to end: Pantip pages served over real HTTP on 127.0.0.1, the shipped model,
a real SQLite file, and the real slack_sdk client posting to a local Slack-compatible server.

The pages are the packaged demo site (invented topics in Pantip's documented shapes, see
listener/demo/site/README.md): one angry home-internet complaint with an escalating comment thread,
one buyer's question, one compliment and one unrelated topic.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listener.cli import main
from listener.demo import SITE
from tests.fixture_server import FixtureServer
from tests.slack_server import SlackTestServer

COMPLAINT, QUESTION, PRAISE, UNRELATED = "43600001", "43600002", "43600003", "43600004"
CONFIG = """
storage: {{url: "sqlite:///{db}"}}
http: {{rate_per_host: 0, retries: 1, backoff_base_s: 0}}
slack: {{token_env: E2E_SLACK_TOKEN, base_url: "{slack}"}}
metrics: {{enabled: false}}
alerting: {{default_channel: "#social", cooldown_minutes: 0, daily_summary_at: null}}
sources:
  - name: pantip-mbk
    kind: pantip
    alert_on_backfill: true
    options: {{base_url: "{site}", rooms: [mbk], backfill_hours: 1000000, comments: true}}
watchlists:
  - name: saifah-net
    terms: {{th: ["สายฟ้าเน็ต"], en: ["SaiFah Net"]}}
    route: {{channel: "#care", mentions: ["S0CARE"], digest_below: watch}}
    tiers: {{watch: 0.4, high: 0.6, critical: 0.8}}
"""


def _serve_site(server: FixtureServer) -> None:
    server.add("GET", "/api/forum-service/forum/room_topic", file=SITE / "api/forum-service/forum/room_topic.json",
               query={"room": "mbk"})
    for tid in (COMPLAINT, QUESTION, PRAISE, UNRELATED):
        server.add("GET", f"/topic/{tid}", file=SITE / f"topic/{tid}.html")
        server.add("GET", "/forum/topic/render_comments", query={"tid": tid},
                   file=SITE / f"forum/topic/render_comments/{tid}.json")


@pytest.fixture
def config_path(tmp_path: Path, fixture_server: FixtureServer, slack_server: SlackTestServer,
                monkeypatch: pytest.MonkeyPatch) -> Path:
    _serve_site(fixture_server)
    monkeypatch.setenv("E2E_SLACK_TOKEN", slack_server.token)
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "e2e.db", slack=slack_server.api_url,
                                  site=fixture_server.base_url), encoding="utf-8")
    return path


def _blocks_text(message: dict) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def test_once_alerts_the_complaint_thread_and_nothing_else(config_path: Path, fixture_server: FixtureServer,
                                                           slack_server: SlackTestServer) -> None:
    assert main(["--config", str(config_path), "once"]) == 0

    messages = slack_server.messages("#care")
    top = [m for m in messages if m.get("thread_ts") in (None, m["ts"])]
    assert len(top) == 1, [m["text"] for m in top]
    card = top[0]
    blocks = _blocks_text(card)
    assert "สายฟ้าเน็ต เน็ตหลุดทุกคืน" in card["text"]
    assert f"{fixture_server.base_url}/topic/{COMPLAINT}" in blocks
    assert "*Watchlist*\\nsaifah-net" in blocks and "*Language*\\nThai (th)" in blocks
    assert "complaint" in blocks  # the one-line reason names the complaint probability
    for other in (QUESTION, PRAISE, UNRELATED):
        assert f"/topic/{other}" not in json.dumps(slack_server.calls("chat.postMessage"))

    replies = slack_server.replies("#care", card["ts"])
    reply_text = " ".join(r["text"] + _blocks_text(r) for r in replies)
    assert "ฝากแชร์" in reply_text  # the escalating comment is posted in the incident's thread
    assert "ความเร็วเต็ม" not in reply_text  # the calm comment is not
    assert "<!channel>" not in reply_text and "<!here>" not in reply_text


def test_second_once_sends_nothing_new(config_path: Path, slack_server: SlackTestServer) -> None:
    assert main(["--config", str(config_path), "once"]) == 0
    sent = len(slack_server.requests)
    assert sent > 0
    assert main(["--config", str(config_path), "once"]) == 0
    assert [r.method for r in slack_server.requests[sent:]] == []
