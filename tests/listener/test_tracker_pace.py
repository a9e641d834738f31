"""The re-read pace: the tracker schedules an incident's thread by the spread forecast's `poll_delay_s`, on a
real SQLite store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from listener.config.schema import TrackingConfig
from listener.ingest.tracker import ThreadTracker
from tests.listener.test_incidents_world import World


def test_the_tracker_reads_a_growing_thread_again_soon_and_a_quiet_one_rarely(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.post(0.7, start=True)
    tracker = ThreadTracker(world.clock)
    with world.store.session() as session:
        assert tracker.due(session) == [("pantip", "T1")]  # a new incident is read at once
    world.clock.advance(hours=1)
    for _ in range(60):
        world.clock.advance(minutes=1)
        world.post(0.1)
    with world.store.session() as session:
        when = tracker.reschedule_thread(session, "pantip", "T1")
    fastest = TrackingConfig().duration("fastest")
    assert when is not None and fastest <= when - world.clock() <= timedelta(minutes=5)
    with world.store.session() as session:
        assert tracker.due(session) == []
    world.clock.now = when
    with world.store.session() as session:
        assert tracker.due(session) == [("pantip", "T1")]
    world.clock.advance(days=1)  # nothing new for a day
    with world.store.session() as session:
        assert tracker.reschedule_thread(session, "pantip", "T1") == world.clock() + timedelta(hours=2)
