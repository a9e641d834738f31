"""Risky comments in the incident's thread: each reply says why *that* comment matters, the first few get a
reply each and the rest one summary; a post nobody has engaged with is never critical."""

from __future__ import annotations

from pathlib import Path

from listener.config.alerting import Route
from tests.listener.test_incidents_world import World, Wl


def test_a_comment_reply_gives_the_comments_own_reason(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=3)
    world.post(0.9, cues=("สคบ.",), start=True)
    world.dispatch()
    world.post(0.62, negative=0.7, text="โดนเหมือนกันครับ")
    world.dispatch()
    reply = [a for a in world.notifier.alerts if a.kind == "reply"][-1]
    assert reply.reason.startswith("complaint 0.62") and "สคบ." not in reply.reason
    assert world.incident().reason.startswith("complaint 0.90")


def test_risky_comments_past_the_cap_are_summarised(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.wl = Wl(route=Route(channel="#care", digest_below=None, comment_replies=2, comment_summary_minutes=60))
    world.snapshot(comments=3)
    world.post(0.7, start=True)
    for n in range(10):
        world.clock.advance(minutes=5)
        world.post(0.6 + n / 100, text=f"เป็นเหมือนกัน {n}")
    world.dispatch()
    replies = [a for a in world.notifier.alerts if a.kind == "reply"]
    assert len(replies) == 2  # the cap; the other 8 wait
    world.clock.advance(minutes=20)  # an hour after the cap was reached
    world.post(0.6, text="อีกคน")
    world.dispatch()
    summary = [a for a in world.notifier.alerts if a.kind == "reply"][-1]
    assert summary.excerpt.startswith("+9 more risky comments, top 3:")
    assert "เป็นเหมือนกัน 9" in summary.excerpt.splitlines()[1]  # the riskiest first
    assert len([a for a in world.notifier.alerts if a.kind == "reply"]) == 3


def test_a_post_nobody_has_engaged_with_is_at_most_high(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=0)
    incident = world.post(0.95, negative=0.95, cues=("ฟ้อง", "สคบ."), start=True)
    assert incident is not None and incident.severity == "high"
    world.clock.advance(minutes=10)
    world.snapshot(comments=2)
    world.refresh()
    assert world.incident().severity == "critical"  # people see it now
