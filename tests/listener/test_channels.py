"""Alerts also go to other channels through apprise: a generic JSON webhook (as Teams or LINE-style webhooks
are) served by a local HTTP server that records each post, and e-mail to a local SMTP server. They get new
incidents and escalations, never edits in place; Slack keeps the thread."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Iterator

import pytest
from aiosmtpd.controller import Controller

from alerts.channels import AppriseNotifier, ChannelRouter
from alerts.types import Alert
from listener.app import build_channels
from listener.config import parse_config_text
from listener.config.alerting import AlertingConfig, ChannelConfig, Route, Tiers
from listener.errors import ConfigError
from tests.fixture_server import FixtureServer
from tests.listener.test_incidents_world import RecordingNotifier, World, Wl


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))  # type: ignore
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def _world(tmp_path: Path, hook: str, mail: str) -> World:
    channels = (ChannelConfig(name="care-webhook", url_env="HOOK_URL"),
                ChannelConfig(name="oncall-mail", url_env="MAIL_URL", kinds=("escalation",), min_severity="critical",
                              all_watchlists=True))
    slack = RecordingNotifier()
    router = ChannelRouter(slack, {"care-webhook": AppriseNotifier(hook), "oncall-mail": AppriseNotifier(mail)})
    world = World(tmp_path, AlertingConfig(channels=channels), notifier=router)
    world.slack = slack  # type: ignore[attr-defined]
    world.wl = Wl(route=Route(channel="#care", mentions=("U0ONCALL",), digest_below=None, channels=("care-webhook",)),
                  tiers=Tiers(watch=0.45, high=0.65, critical=0.9))
    return world


def _posts(server: FixtureServer) -> list[dict]:
    return [json.loads(r.body) for r in server.requests_to("/hook", "POST")]


def test_webhook_and_mail_get_new_incidents_and_escalations_but_no_edits(
        tmp_path: Path, fixture_server: FixtureServer, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    fixture_server.add("POST", "/hook", body="ok")
    hook = f"json://{fixture_server.base_url.removeprefix('http://')}/hook"
    mail = f"mailto://127.0.0.1:{port}?from=fangsiang@example.com&to=oncall@example.com&mode=insecure"
    world = _world(tmp_path, hook, mail)
    world.snapshot(comments=0)
    world.post(0.6, start=True)
    world.dispatch()
    world.dispatch()
    posts = _posts(fixture_server)
    assert world.slack.kinds() == ["new"] and len(posts) == 1  # type: ignore[attr-defined]
    assert posts[0]["title"].startswith("[NEW] [WATCH] เน็ตล่มทั้งวัน") and "why: complaint 0.60" in posts[0]["message"]
    assert mailbox.messages == []  # the mail channel takes critical escalations only

    world.clock.advance(hours=1)
    world.snapshot(comments=25)  # the thread takes off: high
    world.refresh()
    world.dispatch()
    world.clock.advance(minutes=20)
    world.post(0.95, cues=("ฟ้อง", "สคบ."), negative=0.95, text="จะฟ้อง สคบ. แล้วนะ")  # critical
    world.dispatch()
    world.dispatch()
    assert world.incident().severity == "critical"
    assert world.slack.kinds() == ["new", "update", "escalation", "update", "reply", "escalation"]  # type: ignore
    posts = _posts(fixture_server)
    # the edits and the comment reply stay in Slack; both escalations stand alone on the webhook
    assert [p["title"].split("]")[0] for p in posts] == ["[NEW", "[ESCALATED", "[ESCALATED"]
    assert "HIGH → CRITICAL" in posts[2]["title"] and posts[2]["type"] == "failure"
    assert len(mailbox.messages) == 1 and mailbox.messages[0][0] == ["oncall@example.com"]  # critical only
    assert "ESCALATED" in mailbox.messages[0][1]
    world.dispatch()  # nothing is sent twice
    assert len(_posts(fixture_server)) == 3 and len(mailbox.messages) == 1


def test_a_failing_webhook_is_retried_without_holding_slack_back(tmp_path: Path, fixture_server: FixtureServer) -> None:
    fixture_server.add("POST", "/hook", body="down", status=500)
    hook = f"json://{fixture_server.base_url.removeprefix('http://')}/hook"
    world = _world(tmp_path, hook, "json://127.0.0.1:9/unused")
    world.snapshot(comments=0)
    world.post(0.6, start=True)
    world.dispatch()
    world.dispatch()
    assert world.slack.kinds() == ["new"]  # type: ignore[attr-defined]
    copy = [row for row in world.outbox() if row[2] == "apprise:care-webhook"]
    assert len(copy) == 1 and copy[0][1] in ("pending", "sending")  # waiting for its retry
    with world.store.session() as s:
        from listener.store import outbox_repo

        row = next(r for r in outbox_repo.all_rows(s) if r.channel == "apprise:care-webhook")
        assert row.attempts == 1 and "500" in (row.last_error or "")


def test_channels_are_configured_from_the_environment_with_clear_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = """
alerting:
  channels:
    - {name: teams, url_env: TEAMS_URL, kinds: [new, escalation, digest], all_watchlists: true}
"""
    loaded = parse_config_text(config, base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"\$TEAMS_URL is empty"):
        build_channels(loaded, RecordingNotifier())
    monkeypatch.setenv("TEAMS_URL", "not-a-url")
    with pytest.raises(ConfigError, match="apprise does not understand"):
        build_channels(loaded, RecordingNotifier())
    monkeypatch.setenv("TEAMS_URL", "json://127.0.0.1:9/hook")
    router = build_channels(loaded, RecordingNotifier())
    assert isinstance(router, ChannelRouter) and set(router.channels) == {"teams"}
    with pytest.raises(ConfigError, match="kinds"):
        parse_config_text("alerting: {channels: [{name: t, url_env: X, kinds: [update]}]}", base_dir=tmp_path)


def test_apprise_notifier_reports_why_it_failed() -> None:
    delivery = AppriseNotifier("json://127.0.0.1:9/hook", timeout_s=2).deliver(
        Alert(incident_id=1, revision=1, kind="new", title="t", url="", excerpt="", lang="th", risk=0.5, reason="r",
              watchlist="w", severity="watch", channel="apprise:x"))
    assert not delivery.ok and not delivery.permanent and "connection error" in delivery.error.lower()


def test_channel_names_are_unique_and_the_default_route_names_real_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unique"):
        parse_config_text("alerting: {channels: [{name: t, url_env: X}, {name: t, url_env: Y}]}", base_dir=tmp_path)
    with pytest.raises(ConfigError, match="unknown channel"):
        parse_config_text("alerting: {default_route: {channels: [nope]}}", base_dir=tmp_path)
