"""The local Slack test server answers like Slack where fangsiang depends on it (checked with the real client)."""

from __future__ import annotations

import pytest

from alerts.slack import SlackNotifier
from tests.slack_server import SlackTestServer


def _client(server: SlackTestServer, token: str = "xoxb-test-token"):
    return SlackNotifier(token, base_url=server.api_url).client


def test_auth_and_request_log(slack_server: SlackTestServer) -> None:
    assert _client(slack_server).auth_test()["user_id"] == "U0BOT"
    with pytest.raises(Exception, match="invalid_auth"):
        _client(slack_server, "xoxb-nope").auth_test()
    assert [r.token for r in slack_server.requests] == ["xoxb-test-token", "xoxb-nope"]


def test_edit_needs_an_existing_message_and_a_channel_id(slack_server: SlackTestServer) -> None:
    client = _client(slack_server)
    posted = client.chat_postMessage(channel="#care", text="hello")
    assert posted["channel"].startswith("C") and posted["channel"] != "#care"
    with pytest.raises(Exception, match="message_not_found"):
        client.chat_update(channel=posted["channel"], ts="1.000001", text="x")
    with pytest.raises(Exception, match="channel_not_found"):
        client.chat_update(channel="#care", ts=posted["ts"], text="x")  # Slack edits by id only
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="edited")
    assert slack_server.message("#care", posted["ts"])["text"] == "edited"


def test_ts_values_are_unique_and_increasing(slack_server: SlackTestServer) -> None:
    client = _client(slack_server)
    stamps = [client.chat_postMessage(channel="C1", text=str(i))["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5


def test_faults_apply_to_the_next_calls_only(slack_server: SlackTestServer) -> None:
    slack_server.fail_with("internal_error", count=2)
    client = _client(slack_server)
    for _ in range(2):
        with pytest.raises(Exception, match="internal_error"):
            client.chat_postMessage(channel="C1", text="x")
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [r.status for r in slack_server.requests] == [200, 200, 200]
