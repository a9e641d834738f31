"""A send cut short while Slack is still acting on it is not posted twice.

The first daemon dies while its chat.postMessage is still being processed by a slow Slack; the restarted
daemon must not look the message up (and, finding nothing yet, post it again) before Slack can have stored
it. Through the real SlackNotifier (slack_sdk) and the local Slack test server.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from alerts.slack import SlackNotifier
from listener.delivery.dispatcher import Dispatcher
from listener.delivery.outbox import alert_from_payload
from listener.store import outbox_repo
from tests.listener.test_incidents_world import World
from tests.slack_server import SlackTestServer


class SlowSlack(SlackTestServer):
    """Holds the first chat.postMessage until `release` is set, then stores it like Slack would."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived, self.release = threading.Event(), threading.Event()
        self._first = True

    def handle(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "chat.postMessage" and self._first:
            self._first = False
            self.arrived.set()
            self.release.wait(30)
        return super().handle(method, params, token)

    def stop(self) -> None:
        self.release.set()
        super().stop()


def _die_while_sending(world: World, slack: SlowSlack) -> None:
    """What a daemon killed mid-call leaves: the row committed as "sending", its post still inside Slack."""
    with world.store.session() as session:
        row = outbox_repo.pending_rows(session, 10)[0]
        row.status, row.attempts, row.attempted_at = "sending", 1, world.clock()
        alert = replace(alert_from_payload(row.payload), key=row.idempotency_key)
    doomed = SlackNotifier(slack.token, base_url=slack.api_url, timeout=30)
    threading.Thread(target=doomed.deliver, args=(alert,), daemon=True).start()  # its answer is never read
    assert slack.arrived.wait(30)


def test_a_restart_while_slack_is_still_storing_the_post_does_not_post_it_again(tmp_path: Path) -> None:
    with SlowSlack() as slack:
        world = World(tmp_path, notifier=SlackNotifier(slack.token, base_url=slack.api_url, timeout=5))
        slack.clock = world.clock
        world.snapshot(comments=1)
        world.post(0.7, start=True, text="ซิมโดนตัดโดยไม่แจ้ง")
        _die_while_sending(world, slack)

        restarted = Dispatcher(world.notifier, world.alerting, world.clock)  # the new process, at once
        restarted.run_once(world.store.session)
        slack.release.set()  # Slack finishes storing the first post
        assert wait_stored(slack)
        for _ in range(3):
            world.clock.advance(seconds=10)
            restarted.run_once(world.store.session)
        keys = [m["metadata"]["event_payload"]["key"] for m in slack.messages("#care")]
        assert len(keys) == 1, keys
        assert world.incident().message_ts == slack.messages("#care")[0]["ts"]
        assert [status for _, status, _ in world.outbox()] == ["sent"]


def wait_stored(slack: SlackTestServer) -> bool:
    from tests.process_helpers import wait_for

    return wait_for(lambda: len(slack.messages("#care")) >= 1, timeout=30)
