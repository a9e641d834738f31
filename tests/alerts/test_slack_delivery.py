"""SlackNotifier through the real slack_sdk WebClient against the local Slack-compatible server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerts.chart import summary_chart
from alerts.render import render
from alerts.slack import SlackNotifier
from tests.alerts.examples import GOLDEN, SUMMARY, THAI_ESCALATION, THAI_NEW, THAI_REPLY, THAI_UPDATE
from tests.slack_server import SlackTestServer

TOKEN = "xoxb-test-token"


@pytest.fixture
def notifier(slack_server: SlackTestServer) -> SlackNotifier:
    return SlackNotifier(TOKEN, base_url=slack_server.api_url, timeout=5)


def test_new_alert_is_posted_with_its_blocks(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    delivery = notifier.deliver(THAI_NEW)
    assert delivery.ok and delivery.channel == "C0CARE" and delivery.ts
    message = slack_server.message("C0CARE", delivery.ts)
    assert message["blocks"] == render(THAI_NEW).blocks
    assert "เน็ตทรูล่ม" in message["text"]
    assert slack_server.calls("chat.postMessage")[0]["unfurl_links"] is False


def test_update_edits_the_same_message(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    first = notifier.deliver(THAI_NEW)
    second = notifier.deliver(replace(THAI_UPDATE, message_ts=first.ts))
    assert second.ok and second.ts == first.ts
    messages = slack_server.messages("C0CARE")
    assert len(messages) == 1 and messages[0]["edited"] == 1
    assert "410 comments" in str(messages[0]["blocks"])


def test_update_of_a_deleted_message_posts_a_new_one(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    delivery = notifier.deliver(replace(THAI_UPDATE, message_ts="1600000000.000001"))
    assert delivery.ok and delivery.ts != "1600000000.000001"
    assert slack_server.message("C0CARE", delivery.ts)["blocks"] == render(THAI_UPDATE).blocks


def test_escalation_and_reply_go_into_the_thread(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    parent = notifier.deliver(THAI_NEW).ts
    escalation = notifier.deliver(replace(THAI_ESCALATION, thread_ts=parent))
    reply = notifier.deliver(replace(THAI_REPLY, thread_ts=parent))
    assert escalation.ok and reply.ok
    thread = slack_server.replies("C0CARE", parent)
    assert [m["ts"] for m in thread] == [escalation.ts, reply.ts]
    assert "HIGH → CRITICAL" in thread[0]["text"] and "<@U024BE7LH>" in thread[0]["text"]
    assert thread[0]["reply_broadcast"] is True and thread[1]["reply_broadcast"] is False
    # The same thread as Slack itself reports it.
    replies = notifier.client.conversations_replies(channel="C0CARE", ts=parent)
    assert len(replies["messages"]) == 3


def test_ratelimited_reports_retry_after_without_retrying(notifier: SlackNotifier,
                                                          slack_server: SlackTestServer) -> None:
    slack_server.fail_ratelimited(count=1, retry_after=7)
    delivery = notifier.deliver(THAI_NEW)
    assert not delivery.ok and not delivery.permanent
    assert delivery.retry_after == 7 and delivery.error == "ratelimited"
    assert len(slack_server.calls("chat.postMessage")) == 1  # the outbox, not slack_sdk, decides when to retry
    assert slack_server.messages("C0CARE") == []
    assert notifier.deliver(THAI_NEW).ok


def test_server_error_is_reported_not_raised(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    slack_server.fail_server_error(count=1, status=503)
    delivery = notifier.deliver(THAI_NEW)
    assert not delivery.ok and not delivery.permanent and delivery.error == "http 503"
    assert len(slack_server.calls("chat.postMessage")) == 1


def test_slack_down_is_reported_and_delivery_resumes(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    before = notifier.deliver(THAI_NEW)
    slack_server.go_down()
    delivery = notifier.deliver(replace(THAI_UPDATE, message_ts=before.ts))
    assert not delivery.ok and not delivery.permanent and "connection" in delivery.error
    slack_server.come_up()
    after = notifier.deliver(replace(THAI_UPDATE, message_ts=before.ts))
    assert after.ok and after.ts == before.ts


def test_invalid_token_is_permanent(slack_server: SlackTestServer) -> None:
    delivery = SlackNotifier("xoxb-wrong", base_url=slack_server.api_url).deliver(THAI_NEW)
    assert not delivery.ok and delivery.permanent and delivery.error == "invalid_auth"


def test_unknown_channel_is_permanent() -> None:
    with SlackTestServer(token=TOKEN, channels={"C0CARE": "care"}) as server:
        notifier = SlackNotifier(TOKEN, base_url=server.api_url)
        assert notifier.deliver(replace(THAI_NEW, channel="#care")).ok
        delivery = notifier.deliver(replace(THAI_NEW, channel="C0NOPE"))
        assert not delivery.ok and delivery.permanent and delivery.error == "channel_not_found"


def test_summary_and_its_chart_land_in_the_channel(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    posted = notifier.deliver(SUMMARY)
    png = summary_chart({"2026-11-21": {"negative": 12, "neutral": 40}, "2026-11-22": dict(SUMMARY.counts)},
                        "true-internet, last 2 days")
    upload = notifier.deliver_file("C0CARE", png, "Sentiment by day", thread_ts=posted.ts)
    assert posted.ok and upload.ok
    [uploaded] = slack_server.files
    assert uploaded.data == png and uploaded.data.startswith(b"\x89PNG")
    assert (uploaded.channel, uploaded.title, uploaded.thread_ts) == ("C0CARE", "Sentiment by day", posted.ts)


def test_failed_upload_is_reported(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    slack_server.fail_ratelimited(count=1, retry_after=2)
    delivery = notifier.deliver_file("C0CARE", b"\x89PNG", "chart")
    assert not delivery.ok and delivery.retry_after == 2


def test_username_and_every_kind_are_accepted_by_slack(slack_server: SlackTestServer) -> None:
    notifier = SlackNotifier(TOKEN, base_url=slack_server.api_url, username="fangsiang")
    for name, alert in sorted(GOLDEN.items()):
        alert = replace(alert, message_ts=None, thread_ts=None)
        assert notifier.deliver(alert).ok, name
    assert {call["username"] for call in slack_server.calls("chat.postMessage")} == {"fangsiang"}


def test_channel_names_resolve_to_ids_for_later_edits(notifier: SlackNotifier, slack_server: SlackTestServer) -> None:
    posted = notifier.deliver(replace(THAI_NEW, channel="#care-truemove"))
    assert posted.ok and posted.channel.startswith("C")
    # The outbox stores Delivery.channel; editing by that id works even from a fresh notifier.
    fresh = SlackNotifier(TOKEN, base_url=slack_server.api_url)
    assert fresh.deliver(replace(THAI_UPDATE, channel=posted.channel, message_ts=posted.ts)).ts == posted.ts
    # The same notifier also remembers the id behind a name it has posted to.
    assert notifier.deliver(replace(THAI_UPDATE, channel="#care-truemove", message_ts=posted.ts)).ok
    assert len(slack_server.messages("#care-truemove")) == 1


@pytest.mark.parametrize(("error", "permanent"), [("internal_error", False), ("service_unavailable", False),
                                                  ("not_in_channel", True), ("is_archived", True)])
def test_slack_errors_are_classified(notifier: SlackNotifier, slack_server: SlackTestServer, error: str,
                                     permanent: bool) -> None:
    slack_server.fail_with(error)
    delivery = notifier.deliver(THAI_NEW)
    assert (delivery.ok, delivery.error, delivery.permanent) == (False, error, permanent)
