"""Button clicks become on_action(ActionRequest) calls; foreign or forged clicks are ignored."""

from __future__ import annotations

import copy

import pytest

from alerts.interactive import ActionRequest, parse_action
from alerts.render import render
from tests.alerts.examples import THAI_NEW
from tests.slack_server import SlackTestServer


def _click(action_id: str = "fangsiang_snooze", value: str = "42") -> dict:
    """A block_actions payload shaped like the one Slack sends when a card button is pressed."""
    return {
        "type": "block_actions",
        "user": {"id": "U0AGENT", "username": "somsri"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C0CARE"},
        "channel": {"id": "C0CARE", "name": "care"},
        "message": {"ts": "1700000000.000001", "text": "…"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "fangsiang_incident_42",
                     "value": value, "action_ts": "1700000001.000000"}],
    }


def test_every_rendered_button_parses_back_to_its_action() -> None:
    actions = [e for e in render(THAI_NEW, interactive=True).blocks[-1]["elements"] if e["type"] == "button"]
    parsed = [parse_action(_click(button["action_id"], button["value"])) for button in actions]
    assert [p.action for p in parsed] == ["ack", "snooze", "not_relevant"]
    assert parsed[0] == ActionRequest(42, "ack", "U0AGENT", "C0CARE", "1700000000.000001")


def _choose(value: str) -> dict:
    """A block_actions payload for a choice in the card's "Silence…" menu."""
    payload = _click("fangsiang_silence")
    payload["actions"][0] = {"type": "overflow", "action_id": "fangsiang_silence", "block_id": "b",
                             "selected_option": {"text": {"type": "plain_text", "text": "…"}, "value": value}}
    return payload


def test_every_silence_choice_parses_back_to_a_silence_action() -> None:
    [menu] = [e for e in render(THAI_NEW, interactive=True).blocks[-1]["elements"] if e["type"] == "overflow"]
    parsed = [parse_action(_choose(option["value"])) for option in menu["options"]]
    assert [p.action for p in parsed] == ["silence:thread:24", "silence:watchlist:1", "silence:watchlist:4"]
    assert {p.incident_id for p in parsed} == {THAI_NEW.incident_id}
    assert THAI_NEW.watchlist in menu["options"][1]["text"]["text"]


@pytest.mark.parametrize("value", ["42:everything:24", "42:thread:-1", "x:thread:1", "42:thread:999999", ""])
def test_forged_silence_choices_are_ignored(value: str) -> None:
    assert parse_action(_choose(value)) is None


@pytest.mark.parametrize("payload", [
    _click("other_app_button"),
    _click("fangsiang_delete_everything"),
    _click(value="42; DROP TABLE"),
    {**_click(), "type": "view_submission"},
    {**_click(), "user": {}},
    {"type": "block_actions"},
])
def test_foreign_or_malformed_clicks_are_ignored(payload: dict) -> None:
    assert parse_action(payload) is None


def test_no_buttons_unless_interactive() -> None:
    assert all(block["type"] != "actions" for block in render(THAI_NEW).blocks)


def test_click_reaches_the_callback_and_the_user_is_told(slack_server: SlackTestServer) -> None:
    pytest.importorskip("slack_bolt")
    from alerts.interactive import InteractiveListener
    from alerts.slack import SlackNotifier

    seen: list[ActionRequest] = []
    client = SlackNotifier("xoxb-test-token", base_url=slack_server.api_url).client
    listener = InteractiveListener("xapp-test", client, lambda click: seen.append(click) or "done")
    assert listener.dispatch(copy.deepcopy(_click("fangsiang_ack"))) == 200
    assert seen == [ActionRequest(42, "ack", "U0AGENT", "C0CARE", "1700000000.000001")]
    [ephemeral] = slack_server.calls("chat.postEphemeral")
    assert ephemeral["user"] == "U0AGENT" and "#42 acknowledged" in ephemeral["text"]


def test_failing_callback_tells_the_user_instead_of_crashing(slack_server: SlackTestServer) -> None:
    pytest.importorskip("slack_bolt")
    from alerts.interactive import InteractiveListener
    from alerts.slack import SlackNotifier

    def broken(*_: object) -> None:
        raise RuntimeError("database is locked")

    client = SlackNotifier("xoxb-test-token", base_url=slack_server.api_url).client
    listener = InteractiveListener("xapp-test", client, broken)
    assert listener.dispatch(_click()) == 200
    assert "Could not record" in slack_server.calls("chat.postEphemeral")[0]["text"]


@pytest.mark.parametrize("payload", [
    _click(value="²"),  # str.isdigit says yes, int() says no
    _click(value="9" * 5000),  # past Python's integer-string limit
    _click(value="99999999999999999999999"),  # no database id is this large
    {**_click(), "actions": ["fangsiang_ack"]},
    {**_click(), "actions": {"action_id": "fangsiang_ack"}},
    {**_click(), "user": "U0AGENT"},
    {**_click(), "channel": "C0CARE", "container": None, "message": 7},
])
def test_malformed_button_values_are_ignored_and_logged(payload: dict, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.WARNING, logger="alerts.interactive"):
        assert parse_action(payload) is None
    assert "ignored" in caplog.text


def test_a_refused_or_repeated_click_is_explained_to_the_user(slack_server: SlackTestServer) -> None:
    pytest.importorskip("slack_bolt")
    from alerts.interactive import InteractiveListener
    from alerts.slack import SlackNotifier

    client = SlackNotifier("xoxb-test-token", base_url=slack_server.api_url).client
    for outcome in ("refused", "already"):
        InteractiveListener("xapp-test", client, lambda click, o=outcome: o).dispatch(_click("fangsiang_ack"))
    texts = [call["text"] for call in slack_server.calls("chat.postEphemeral")]
    assert "not on incident #42's message" in texts[0] and "already acknowledged" in texts[1]
