"""Dead alerts can be put back in line once the cause is fixed (`requeue_dead`, `fangsiang outbox resend`)."""

from __future__ import annotations

from pathlib import Path

from alerts.types import Delivery
from listener.delivery.outbox import requeue_dead
from listener.store import outbox_repo
from tests.listener.test_incidents_world import World


def _dead_world(tmp_path: Path) -> World:
    world = World(tmp_path)
    world.snapshot(comments=1)
    world.post(0.7, start=True)
    world.notifier.answers = [Delivery(ok=False, error="invalid_auth", permanent=True)]
    assert world.dispatch().dead == 1
    world.dispatch()  # the ops notice about it
    return world


def test_requeued_dead_alert_is_sent_after_the_fix_and_its_thread_follows(tmp_path: Path) -> None:
    world = _dead_world(tmp_path)
    with world.store.session() as s:
        assert requeue_dead(s, now=world.clock()) == 1
        row = outbox_repo.rows_with_status(s, "pending")[0]
        assert (row.kind, row.attempts, row.last_error) == ("new", 0, "invalid_auth")  # why it died stays visible
    world.dispatch()
    assert ("new", "sent", "#care") in world.outbox()
    assert world.incident().message_ts is not None  # later updates and replies have a message to attach to
    with world.store.session() as s:
        assert requeue_dead(s) == 0  # nothing dead is left


def test_requeue_by_id_touches_only_dead_rows_among_the_ids(tmp_path: Path) -> None:
    world = _dead_world(tmp_path)
    with world.store.session() as s:
        dead = outbox_repo.rows_with_status(s, "dead")[0].id
        sent = outbox_repo.rows_with_status(s, "sent")[0].id  # the ops notice about the dead row
        assert requeue_dead(s, ids=[sent, 9999]) == 0
        assert requeue_dead(s, ids=[dead]) == 1
    assert ("health", "sent", "#social-listening-ops") in world.outbox()


def test_an_alert_that_dies_again_after_a_resend_is_reported_again(tmp_path: Path) -> None:
    world = _dead_world(tmp_path)
    with world.store.session() as s:
        requeue_dead(s, now=world.clock())
    world.clock.advance(minutes=1)
    world.notifier.answers = [Delivery(ok=False, error="invalid_auth", permanent=True)]
    world.dispatch()
    world.dispatch()
    assert world.notifier.kinds() == ["new", "health", "new", "health"]
