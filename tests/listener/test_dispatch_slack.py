"""End to end through the real SlackNotifier (slack_sdk WebClient) and the local Slack test server:
rate limits with Retry-After, HTTP 500s, an hour-long outage, and a post Slack accepted without the answer
arriving lose, duplicate and reorder nothing."""

from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

from alerts.slack import SlackNotifier
from listener.config.alerting import QuietHours, Route
from tests.listener.test_incidents_world import World, Wl
from tests.slack_server import SlackTestServer


def _world(tmp_path: Path, server: SlackTestServer, timeout: float = 5) -> World:
    notifier = SlackNotifier(server.token, base_url=server.api_url, timeout=timeout)
    world = World(tmp_path, notifier=notifier)
    server.clock = world.clock  # message ts on the world's clock, so "posted since the attempt" means something
    return world


def _thread_of_three(world: World) -> None:
    world.snapshot(comments=2)
    world.post(0.7, start=True, text="ซิมโดนตัดโดยไม่แจ้ง")
    world.clock.advance(minutes=1)
    world.post(0.7, text="คอมเมนต์ที่หนึ่ง")
    world.clock.advance(minutes=1)
    world.post(0.7, text="คอมเมนต์ที่สอง")


def _texts(server: SlackTestServer, channel: str) -> list[str]:
    return [m["text"] for m in server.messages(channel)]


def test_ratelimited_waits_retry_after_then_sends_once(tmp_path: Path, slack_server: SlackTestServer) -> None:
    world = _world(tmp_path, slack_server)
    _thread_of_three(world)
    slack_server.fail_ratelimited(count=1, retry_after=30)
    stats = world.dispatch()
    assert stats.sent == 0 and len(slack_server.calls("chat.postMessage")) == 1
    world.clock.advance(seconds=20)
    world.dispatch()  # still inside Retry-After: not a single request
    assert len(slack_server.requests) == 1
    world.clock.advance(seconds=15)
    world.dispatch()
    messages = slack_server.messages("#care")
    assert len(messages) == 3
    parent, *replies = messages
    assert "thread_ts" not in parent or parent.get("thread_ts") in (None, parent["ts"])
    assert [r["thread_ts"] for r in replies] == [parent["ts"], parent["ts"]]
    assert "คอมเมนต์ที่หนึ่ง" in replies[0]["text"] and "คอมเมนต์ที่สอง" in replies[1]["text"]


def test_500s_and_an_hour_offline_lose_and_duplicate_nothing(tmp_path: Path,
                                                              slack_server: SlackTestServer) -> None:
    world = _world(tmp_path, slack_server)
    slack_server.fail_server_error(count=3)
    _thread_of_three(world)
    for _ in range(3):
        world.dispatch()
        world.clock.advance(minutes=2)
    assert slack_server.messages("#care") == []

    slack_server.go_down()
    for minute in range(60):  # the dispatcher keeps running every minute while Slack is unreachable
        world.clock.advance(minutes=1)
        if minute == 30:
            world.post(0.7, text="คอมเมนต์ระหว่างล่ม")
        world.dispatch()
    slack_server.come_up()
    for _ in range(15):
        world.clock.advance(minutes=1)
        world.dispatch()

    messages = slack_server.messages("#care")
    parent, *replies = messages
    assert len(messages) == 4
    assert all(r.get("thread_ts") == parent["ts"] for r in replies)
    assert ["หนึ่ง" in replies[0]["text"], "สอง" in replies[1]["text"], "ระหว่างล่ม" in replies[2]["text"]] == [
        True, True, True]
    assert world.incident().message_ts == parent["ts"]
    assert {status for _, status, _ in world.outbox()} == {"sent"}


def _statuses(world: World) -> list[tuple[str, str]]:
    return [(kind, status) for kind, status, _ in world.outbox()]


def _card_whose_answer_is_lost(tmp_path: Path, server: SlackTestServer) -> World:
    """Slack stores the first card, but its answer never arrives (the sender times out after a second)."""
    world = _world(tmp_path, server, timeout=1)
    server.hang_after_accepting("chat.postMessage")
    world.snapshot(comments=2)
    world.post(0.7, start=True, text="ซิมโดนตัดโดยไม่แจ้ง")
    world.dispatch()
    assert len(server.messages("#care")) == 1 and _statuses(world) == [("new", "sending")]
    return world


def test_a_card_slack_took_without_answering_is_found_not_posted_again(tmp_path: Path,
                                                                        slack_server: SlackTestServer) -> None:
    world = _card_whose_answer_is_lost(tmp_path, slack_server)
    world.clock.advance(minutes=5)
    world.post(0.7, text="คอมเมนต์ที่หนึ่ง")
    world.dispatch()
    parent, *replies = slack_server.messages("#care")
    assert world.incident().message_ts == parent["ts"]
    assert [r["thread_ts"] for r in replies] == [parent["ts"]] and "หนึ่ง" in replies[0]["text"]
    assert _statuses(world) == [("new", "sent"), ("reply", "sent")]


def test_a_lookup_that_fails_keeps_the_row_until_it_can_tell(tmp_path: Path, slack_server: SlackTestServer) -> None:
    world = _card_whose_answer_is_lost(tmp_path, slack_server)
    world.post(0.7, text="คอมเมนต์ที่หนึ่ง")
    for _ in range(3):  # Slack cannot be asked: neither posted again nor given up, and the reply waits
        world.clock.advance(minutes=15)
        slack_server.fail_server_error(count=1)
        world.dispatch()
    assert len(slack_server.messages("#care")) == 1
    assert _statuses(world) == [("new", "sending"), ("reply", "pending")]
    world.clock.advance(minutes=15)
    world.dispatch()
    parent, reply = slack_server.messages("#care")
    assert reply["thread_ts"] == parent["ts"] == world.incident().message_ts
    assert _statuses(world) == [("new", "sent"), ("reply", "sent")]


def test_a_card_that_never_reached_slack_is_sent_after_the_lookup(tmp_path: Path,
                                                                   slack_server: SlackTestServer) -> None:
    world = _world(tmp_path, slack_server)
    slack_server.go_down()
    _thread_of_three(world)
    world.dispatch()
    assert _statuses(world)[0] == ("new", "sending")  # the call was made; whether Slack got it is unknown
    slack_server.come_up()
    world.clock.advance(minutes=5)
    world.dispatch()
    parent, *replies = slack_server.messages("#care")
    assert "เน็ตล่มทั้งวัน" in parent["text"] and len(replies) == 2
    assert world.incident().message_ts == parent["ts"]


def test_a_card_cut_short_just_before_quiet_hours_is_not_held_and_sent_again(tmp_path: Path,
                                                                           slack_server: SlackTestServer) -> None:
    world = _world(tmp_path, slack_server, timeout=1)
    world.wl = Wl(route=Route(channel="#care", mentions=(), digest_below=None,
                              quiet_hours=QuietHours(start=time(22, 0), end=time(7, 0), tz="Asia/Bangkok")))
    world.clock.now = datetime(2026, 11, 20, 14, 55, tzinfo=timezone.utc)  # 21:55 in Bangkok
    slack_server.hang_after_accepting("chat.postMessage")
    world.snapshot(comments=2)
    world.post(0.7, start=True)
    world.dispatch()
    world.clock.advance(minutes=15)  # quiet hours have begun; the card is in Slack already
    world.dispatch()
    world.clock.now = datetime(2026, 11, 21, 0, 5, tzinfo=timezone.utc)  # 07:05: catch-up time
    world.dispatch()
    world.clock.advance(minutes=5)
    world.dispatch()
    assert len(slack_server.messages("#care")) == 1
    assert _statuses(world) == [("new", "sent")]
