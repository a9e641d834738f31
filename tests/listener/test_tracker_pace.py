"""The re-read pace: the heat rule the tracker uses until the spread forecast ships, and the tracker scheduling
an incident's thread by it on a real SQLite store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from listener.config.schema import TrackingConfig
from listener.ingest.heat import poll_delay_s
from listener.ingest.tracker import ThreadTracker
from tests.listener.test_incidents_world import World

HOUR, DAY = 3600.0, 86400.0


def test_the_heat_rule_waits_less_for_a_busy_or_young_thread() -> None:
    busy = [DAY - 60.0 * i for i in range(60)][::-1]  # a comment a minute for the last hour
    assert poll_delay_s(busy, DAY, min_s=300, max_s=7200) == 300
    assert poll_delay_s([], DAY, min_s=300, max_s=7200) == 7200  # cold
    assert poll_delay_s([], 600, min_s=60, max_s=7200) == 900  # ten minutes old: at most half its age (floor 15 min)
    steady = [HOUR * h + 360.0 * i for h in range(3) for i in range(10)]  # 10 an hour for three hours
    rising = steady[:20] + [2 * HOUR + 180.0 * i for i in range(20)]  # 10, 10, then 20 in the last hour
    assert poll_delay_s(rising, 3 * HOUR, min_s=60, max_s=7200) < poll_delay_s(steady, 3 * HOUR, min_s=60,
                                                                                  max_s=7200) / 2


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
    assert when == world.clock() + fastest
    with world.store.session() as session:
        assert tracker.due(session) == []
    world.clock.advance(seconds=fastest.total_seconds())
    with world.store.session() as session:
        assert tracker.due(session) == [("pantip", "T1")]
    world.clock.advance(days=1)  # nothing new for a day
    with world.store.session() as session:
        assert tracker.reschedule_thread(session, "pantip", "T1") == world.clock() + timedelta(hours=2)
