"""A small database for console tests, written the way the daemon writes it: a growing Pantip thread with an
incident, its posts, verdicts, matches and engagement readings; a second thread whose Slack message died;
and two sources, one of them degraded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from alerts.types import Delivery
from listener.config.alerting import AlertingConfig
from listener.console.views import ConsoleContext
from listener.store.models import MatchRow, SourceState
from tests.listener.test_incidents_world import START, World

COMMENTS = [2, 5, 11, 20, 34]  # the thread's comment count at each hourly reading


def seeded_world(tmp_path: Path, notifier: Any = None) -> World:
    world = World(tmp_path, notifier=notifier)
    for hour, comments in enumerate(COMMENTS):
        if hour:
            world.clock.advance(hours=1)
        world.snapshot(comments=comments, reactions=comments * 2)
        if hour == 0:
            world.post(0.8, start=True, text="ซิมทรูโดนตัดสัญญาณทั้งวัน แจ้งก็ไม่แก้")
            _match(world, ["ทรู"])
        else:
            world.post(0.7, text=f"ความเห็นที่ {hour}: เน็ตล่มเหมือนกัน", cues=("สคบ.",) if hour == 3 else ())
            _match(world, ["(thread)"])
    world.dispatch()
    with world.store.session() as s:
        s.add(SourceState(name="pantip-rooms", kind="pantip", last_run_at=world.clock(), last_success_at=world.clock(),
                          runs_total=12, posts_total=40))
        s.add(SourceState(name="facebook-brand", kind="facebook", last_run_at=world.clock(),
                          last_error_at=world.clock(), last_error="HTTP 403 from graph.facebook.com",
                          consecutive_failures=4, errors_total=4, runs_total=9,
                          degraded_since=START, degraded_reason="4 failures in a row"))
    return world


def add_dead_alert(world: World, answers: list[Delivery] | None = None) -> None:
    """A second thread whose first Slack message is refused for good (a wrong token)."""
    world.snapshot(comments=3, thread="T2")
    world.post(0.9, start=True, thread="T2", text="แอปธนาคารล่ม โอนเงินไม่ได้")
    if answers is not None:
        world.notifier.answers = answers
    world.dispatch()


def context(world: World, backend: Any = None, watchlists: Any = None, read_only: bool = False) -> ConsoleContext:
    return ConsoleContext(store=world.store, alerting=AlertingConfig(), watchlists=lambda: watchlists or [],
                          backend=lambda: backend, clock=world.clock, read_only=read_only)


def _match(world: World, terms: list[str]) -> None:
    with world.store.session() as s:
        s.add(MatchRow(post_id=world.last_post_id, watchlist="acme", terms=terms, cues=[], risk=0.7,
                       reason="complaint 0.80", matched_at=world.clock()))


__all__ = ["COMMENTS", "add_dead_alert", "context", "seeded_world", "timedelta"]
