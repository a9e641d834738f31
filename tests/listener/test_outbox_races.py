"""The outbox under concurrent work and long outages.

- An edit decided while the dispatcher is taking the previous edit of the same card (claimed, not yet marked
  as being sent) must not be lost: the card in Slack ends up showing the newest state.
- After an outage the backlog drains oldest first, whatever each row's own retry history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from alerts.types import Delivery
from listener.store.models import OutboxRow
from tests.listener.test_incidents_world import World


def _edit_while_claimed(world: World, edit: Any) -> None:
    """Run `edit` once, in the instant between the dispatcher claiming an update row and committing it as
    being sent: what another worker deciding a newer edit at that moment would do."""
    fired: list[bool] = []

    def before_commit(session: Session) -> None:
        sending = [o for o in session.dirty if isinstance(o, OutboxRow) and o.kind == "update" and o.status == "sending"]
        if sending and not fired:
            fired.append(True)
            edit()

    event.listen(Session, "before_commit", before_commit)
    try:
        world.dispatch()
    finally:
        event.remove(Session, "before_commit", before_commit)
    assert fired, "the dispatcher never sent an update"


def test_an_edit_decided_while_the_previous_edit_is_being_claimed_is_what_slack_shows(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=1)
    world.post(0.5, start=True, text="เน็ตล่มทั้งวัน")
    world.dispatch()  # the card
    world.clock.advance(minutes=1)
    world.post(0.6, text="คอมเมนต์แรก")  # an edit (and a reply) queued
    world.clock.advance(minutes=1)
    _edit_while_claimed(world, lambda: world.post(0.95, cues=("สคบ.",), text="จะฟ้อง สคบ."))
    for _ in range(5):
        world.clock.advance(minutes=10)
        world.dispatch()
    newest = world.incident()
    edits = [a for a in world.notifier.alerts if a.kind == "update"]
    assert edits, world.notifier.kinds()
    assert (edits[-1].revision, edits[-1].risk, edits[-1].severity) == (newest.revision, newest.risk, newest.severity)


class OutageNotifier:
    """Slack unreachable while `down`; records what got through, in order."""

    def __init__(self) -> None:
        self.down = True
        self.delivered: list[str] = []
        self._n = 0

    def deliver(self, alert: Any) -> Delivery:
        if self.down:
            return Delivery(ok=False, channel=alert.channel, error="connection error: refused")
        self._n += 1
        self.delivered.append(alert.title)
        return Delivery(ok=True, channel=alert.channel, ts=f"200.{self._n:04d}")

    def find_sent(self, alert: Any, since: Any) -> Delivery | None:
        return None if not self.down else Delivery(ok=False, channel=alert.channel, error="connection error")


def test_after_an_outage_the_oldest_alerts_go_out_first(tmp_path: Path) -> None:
    notifier = OutageNotifier()
    world = World(tmp_path, notifier=notifier)
    for n in range(8):  # a new incident every few minutes while Slack is down; the dispatcher keeps trying
        thread = f"T{n}"
        world.snapshot(comments=1, thread=thread)
        world.post(0.7, start=True, thread=thread)
        for _ in range(4):
            world.clock.advance(minutes=1)
            world.dispatch()
    notifier.down = False
    for _ in range(30):
        world.clock.advance(seconds=30)
        world.dispatch()
    assert len(notifier.delivered) == 8
    order = [world.incident(f"T{n}").message_ts for n in range(8)]
    assert order == sorted(order), order  # incidents' cards in the order they were decided
