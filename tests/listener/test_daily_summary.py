"""The daily summary goes out only for watchlists that had posts that day."""

from __future__ import annotations

from pathlib import Path

from listener.delivery.digests import enqueue_daily_summaries
from listener.store.models import MatchRow
from tests.listener.test_incidents_world import Wl, World


def test_no_summary_for_a_watchlist_with_no_posts_that_day(tmp_path: Path) -> None:
    world = World(tmp_path)
    quiet = Wl(name="quiet-brand")
    world.snapshot(comments=1)
    world.post(0.7, start=True)  # acme: an incident, and its post matched yesterday
    with world.store.session() as s:
        s.add(MatchRow(post_id=world.last_post_id, watchlist="acme", terms=["acme"], matched_at=world.clock()))
    world.snapshot(comments=1, thread="Q")
    world.post(0.7, start=True, thread="Q", wl=quiet)  # quiet-brand: an incident still open, but no posts matched
    world.clock.advance(days=1)
    with world.store.session() as s:
        made = enqueue_daily_summaries(s, [world.wl, quiet], world.clock(), channel_of=lambda wl: "#care",
                                       timezone="Asia/Bangkok")
    assert made == 1
    world.dispatch()
    summaries = [a for a in world.notifier.alerts if a.kind == "summary"]
    assert [a.watchlist for a in summaries] == ["acme"] and summaries[0].counts == {"negative": 1}
