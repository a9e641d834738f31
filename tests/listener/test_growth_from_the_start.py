"""A thread's posting time is its first reading: growth is known from the first read, and a take-off in the
first hour shows as acceleration."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.incidents.growth import thread_growth
from tests.listener.test_incidents_world import World

def _growth(world: World):  # type: ignore[no-untyped-def]
    with world.store.session() as s:
        return thread_growth(s, "pantip", "T1", world.clock())

def test_the_first_read_of_a_young_busy_thread_has_a_speed(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.post(0.6, start=True)  # posted now
    world.clock.advance(minutes=10)
    world.snapshot(comments=30)  # first read: 30 comments in 10 minutes
    growth = _growth(world)
    assert growth.comments_per_hour == pytest.approx(120)  # 30 over the 15-minute floor, not "no growth"

def test_a_take_off_in_the_first_hour_is_acceleration(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.post(0.6, start=True)
    world.clock.advance(minutes=20)
    world.snapshot(comments=2)
    world.clock.advance(minutes=20)
    world.snapshot(comments=30)
    growth = _growth(world)
    assert growth.acceleration == pytest.approx(84 - 6)  # 28 in the last 20 min against 2 in the 20 before
    assert growth.comments_per_hour == pytest.approx(45)  # 30 comments in its 40 minutes

def test_an_old_thread_read_once_grows_at_its_average_pace(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.post(0.6, start=True)
    world.clock.advance(hours=72)
    world.snapshot(comments=288)
    assert _growth(world).comments_per_hour == pytest.approx(4)

def test_an_old_thread_read_often_grows_at_its_recent_pace(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.post(0.6, start=True)
    world.clock.advance(hours=72)
    world.snapshot(comments=288)
    world.clock.advance(hours=1)
    world.snapshot(comments=288)
    growth = _growth(world)
    assert growth.comments_per_hour == 0 and growth.acceleration == 0  # quiet now, whatever its history
