"""End to end through the real SlackNotifier (slack_sdk WebClient) and the local Slack test server:
rate limits with Retry-After, HTTP 500s, and an hour-long outage lose, duplicate and reorder nothing."""

from __future__ import annotations

from pathlib import Path

from alerts.slack import SlackNotifier
from tests.listener.test_incidents_world import World
from tests.slack_server import SlackTestServer


def _world(tmp_path: Path, server: SlackTestServer) -> World:
    notifier = SlackNotifier(server.token, base_url=server.api_url, timeout=5)
    return World(tmp_path, notifier=notifier)


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
