"""Grouping: new incidents of one brand and one cause across threads go to Slack as one message (real
slack_sdk against the local Slack server); follow-ups thread under it and edits rewrite it."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.slack import SlackNotifier
from listener.config import parse_config_text
from listener.config.alerting import Route
from listener.errors import ConfigError
from listener.store.models import MatchRow
from tests.listener.test_incidents_world import World, Wl
from tests.slack_server import SlackTestServer

GROUPED = Route(channel="#care", mentions=("U0ONCALL",), digest_below=None, group_by=("watchlist", "cue"),
                group_wait="5m")


def _world(tmp_path: Path, server: SlackTestServer) -> World:
    world = World(tmp_path, notifier=SlackNotifier(server.token, base_url=server.api_url))
    world.wl = Wl(route=GROUPED)
    return world


def _thread(world: World, thread: str, cues: tuple[str, ...], text: str) -> None:
    world.snapshot(comments=3, thread=thread)
    world.post(0.8, start=True, thread=thread, cues=cues, text=text)
    with world.store.session() as s:
        s.add(MatchRow(post_id=world.last_post_id, watchlist="acme", terms=["acme"], cues=[], matched_at=world.clock()))


def test_one_message_for_incidents_of_one_brand_and_cause(tmp_path: Path, slack_server: SlackTestServer) -> None:
    world = _world(tmp_path, slack_server)
    _thread(world, "T1", ("สคบ.",), "จะร้องเรียน สคบ. เรื่องเน็ตล่ม")
    world.clock.advance(minutes=1)
    _thread(world, "T2", ("สคบ.",), "โดนตัดเน็ต ไป สคบ. แน่")
    world.clock.advance(minutes=1)
    _thread(world, "T3", (), "เน็ตช้ามาก")
    world.dispatch()
    assert slack_server.messages("#care") == []  # waiting out group_wait
    world.clock.advance(minutes=4, seconds=30)
    world.dispatch()
    [group] = slack_server.messages("#care")
    assert "2 threads about acme: cue สคบ." in group["text"]
    listed = " ".join(block["text"]["text"] for block in group["blocks"] if block["type"] == "section")
    assert "T1" in listed and "T2" in listed and "T3" not in listed and "<@U0ONCALL>" in listed
    world.clock.advance(minutes=2)
    world.dispatch()
    assert len(slack_server.messages("#care")) == 2  # the incident with another cause: its own card
    assert world.incident("T1").message_ts == world.incident("T2").message_ts == group["ts"]

    world.clock.advance(minutes=1)
    world.post(0.9, thread="T1", text="ความเห็นใหม่ที่โกรธมาก")  # a risky comment: a reply in the group's thread
    world.dispatch()
    replies = slack_server.replies("#care", group["ts"])
    assert len(replies) == 1 and "ความเห็นใหม่ที่โกรธมาก" in replies[0]["text"]

    with world.store.session() as s:  # acknowledging one member edits the message they share
        world.engine.on_action(s, world.incident("T2").id, "acknowledge", "U0AGENT")
    world.dispatch()
    [edit] = slack_server.calls("chat.update")
    assert edit["ts"] == group["ts"] and "T1" in str(edit["blocks"]) and "T2" in str(edit["blocks"])
    assert "acknowledged by" in str(edit["blocks"]) and len(slack_server.messages("#care")) == 3


def test_without_group_by_each_incident_gets_its_card_at_once(tmp_path: Path, slack_server: SlackTestServer) -> None:
    world = _world(tmp_path, slack_server)
    world.wl = Wl()
    _thread(world, "T1", ("สคบ.",), "หนึ่ง")
    _thread(world, "T2", ("สคบ.",), "สอง")
    world.dispatch()
    assert len(slack_server.messages("#care")) == 2


def test_group_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="group_by"):
        parse_config_text("alerting: {default_route: {group_by: [colour]}}")
    with pytest.raises(ConfigError, match="not a duration"):
        parse_config_text("alerting: {default_route: {group_by: [cue], group_wait: soon}}")


def test_a_silenced_incident_stays_out_of_its_group(tmp_path: Path, slack_server: SlackTestServer) -> None:
    from datetime import timedelta

    from listener.delivery.silences import add_silence

    world = _world(tmp_path, slack_server)
    with world.store.session() as s:
        add_silence(s, now=world.clock(), duration=timedelta(hours=1), thread=("pantip", "T2"))
    _thread(world, "T1", ("สคบ.",), "หนึ่ง")
    _thread(world, "T2", ("สคบ.",), "สอง")
    world.clock.advance(minutes=6)
    world.dispatch()
    [card] = slack_server.messages("#care")
    assert "threads about" not in card["text"] and ("new", "silenced", "#care") in world.outbox()
