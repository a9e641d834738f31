"""Times on cards are shown in the configured zone, to the minute, not as raw UTC ISO strings."""

from __future__ import annotations

from dataclasses import replace

from alerts.render import render
from alerts.slack import SlackNotifier
from tests.alerts.examples import HEALTH_DEGRADED, THAI_NEW
from tests.slack_server import SlackTestServer

STORED = "2026-11-22T02:10:07.123456+00:00"  # how the daemon writes posted_at (datetime.isoformat())


def _context_text(blocks: list[dict]) -> str:
    return " ".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])


def test_card_shows_the_post_time_in_the_configured_timezone() -> None:
    text = _context_text(render(replace(THAI_NEW, posted_at=STORED), timezone="Asia/Bangkok").blocks)
    assert "2026-11-22 09:10 +07" in text
    assert "02:10" not in text and ".123456" not in text and "T" not in text.split("·")[-1]


def test_health_notice_says_since_in_local_time() -> None:
    text = _context_text(render(replace(HEALTH_DEGRADED, posted_at=STORED), timezone="Asia/Bangkok").blocks)
    assert "since 2026-11-22 09:10 +07" in text


def test_without_a_timezone_the_card_says_utc_to_the_minute() -> None:
    text = _context_text(render(replace(THAI_NEW, posted_at=STORED)).blocks)
    assert "2026-11-22 02:10 UTC" in text and ".123456" not in text


def test_slack_notifier_renders_in_its_timezone(slack_server: SlackTestServer) -> None:
    notifier = SlackNotifier("xoxb-test-token", base_url=slack_server.api_url, timeout=5, timezone="Asia/Bangkok")
    delivery = notifier.deliver(replace(THAI_NEW, posted_at=STORED))
    assert "2026-11-22 09:10 +07" in str(slack_server.message("C0CARE", delivery.ts)["blocks"])
