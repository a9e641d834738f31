"""SlackNotifier.find_sent: the message a post left in Slack is found again by the key in its metadata,
through the real slack_sdk WebClient and the local Slack-compatible server."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from alerts.slack import SlackNotifier
from tests.alerts.examples import THAI_NEW, THAI_REPLY
from tests.slack_server import SlackTestServer

TOKEN = "xoxb-test-token"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def server() -> Iterator[SlackTestServer]:
    running = SlackTestServer(channels={"C0CARE": "care"}, clock=lambda: NOW).start()
    yield running
    running.stop()


def _notifier(server: SlackTestServer, timeout: float = 5) -> SlackNotifier:
    return SlackNotifier(TOKEN, base_url=server.api_url, timeout=timeout)


def test_a_post_whose_answer_never_came_is_found_by_its_key(server: SlackTestServer) -> None:
    server.hang_after_accepting("chat.postMessage")
    alert = replace(THAI_NEW, channel="#care", key="incident:1:r1:new")
    lost = _notifier(server, timeout=1).deliver(alert)
    assert not lost.ok  # the sender never learnt that Slack has it
    stored = server.messages("C0CARE")
    assert len(stored) == 1 and stored[0]["metadata"]["event_payload"] == {"key": "incident:1:r1:new"}

    # A fresh notifier, as after a restart: it knows the channel only by its #name.
    found = _notifier(server).find_sent(alert, since=NOW - timedelta(seconds=1))
    assert found is not None and found.ok
    assert (found.channel, found.ts) == ("C0CARE", stored[0]["ts"])
    assert _notifier(server).find_sent(replace(alert, key="incident:1:r2:new"), since=NOW) is None


def test_a_thread_reply_is_looked_up_in_its_thread(server: SlackTestServer) -> None:
    notifier = _notifier(server)
    parent = notifier.deliver(replace(THAI_NEW, key="incident:1:r1:new"))
    reply = replace(THAI_REPLY, thread_ts=parent.ts, key="incident:1:r2:reply")
    assert notifier.find_sent(reply, since=NOW) is None  # not posted yet
    posted = notifier.deliver(reply)
    found = notifier.find_sent(reply, since=NOW)
    assert found is not None and found.ts == posted.ts != parent.ts


def test_messages_older_than_the_attempt_are_not_searched(server: SlackTestServer) -> None:
    notifier = _notifier(server)
    notifier.deliver(replace(THAI_NEW, key="incident:1:r1:new"))
    later = NOW + timedelta(hours=1)
    assert notifier.find_sent(replace(THAI_NEW, key="incident:1:r1:new"), since=later) is None
    assert server.calls("conversations.history")[-1]["oldest"]


def test_a_failing_lookup_reports_failure_instead_of_not_found(server: SlackTestServer) -> None:
    notifier = _notifier(server)
    notifier.deliver(replace(THAI_NEW, key="incident:1:r1:new"))
    server.fail_server_error(count=1)
    failed = notifier.find_sent(replace(THAI_NEW, key="incident:1:r1:new"), since=NOW)
    assert failed is not None and not failed.ok and not failed.permanent
    server.fail_ratelimited(count=1, retry_after=7)
    limited = notifier.find_sent(replace(THAI_NEW, key="incident:1:r1:new"), since=NOW)
    assert limited is not None and limited.retry_after == 7
