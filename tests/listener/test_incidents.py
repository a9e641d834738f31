"""Incident lifecycle: escalation across tiers, replies, cooldown, digest, idempotency, close and reopen."""

from __future__ import annotations

from pathlib import Path

from listener.config.alerting import AlertingConfig, Route, Tiers
from tests.listener.test_incidents_world import World, Wl


def _escalation_world(tmp_path: Path) -> World:
    world = World(tmp_path)
    world.wl = Wl(route=Route(channel="#care", mentions=("U0ONCALL",), escalation_channel="#crisis",
                              digest_below=None), tiers=Tiers(watch=0.45, high=0.65, critical=0.9))
    return world


def test_thread_escalates_watch_high_critical_then_calms_in_one_message(tmp_path: Path) -> None:
    world = _escalation_world(tmp_path)
    world.snapshot(comments=0)
    incident = world.post(0.6, start=True)
    assert incident is not None and incident.severity == "watch"
    world.dispatch()
    first = world.notifier.alerts[-1]
    assert first.kind == "new" and first.mentions == ()  # watch pings nobody

    world.clock.advance(hours=1)
    world.snapshot(comments=25)  # the thread takes off: +25 comments/h
    world.refresh()
    world.dispatch()
    assert world.incident().severity == "high"
    update, escalation = world.notifier.alerts[-2:]
    assert (update.kind, update.message_ts) == ("update", "100.0001")
    assert escalation.kind == "escalation" and escalation.thread_ts == "100.0001"
    assert escalation.mentions == ("U0ONCALL",) and escalation.previous_severity == "watch"

    world.clock.advance(minutes=20)
    world.post(0.95, cues=("ฟ้อง", "สคบ."), negative=0.95, text="จะฟ้อง สคบ. แล้วนะ")
    world.dispatch()
    assert world.incident().severity == "critical"
    sent = world.notifier.alerts[-4:]
    assert [a.kind for a in sent] == ["update", "reply", "escalation", "escalation"]
    assert sent[1].thread_ts == "100.0001" and "ฟ้อง" in sent[1].excerpt  # the comment that did it
    assert sent[2].thread_ts == "100.0001" and sent[2].mentions == ("U0ONCALL",)
    assert sent[3].channel == "#crisis" and sent[3].thread_ts is None  # the crisis room hears it too
    assert "cues: ฟ้อง, สคบ." in world.incident().reason

    # the thread goes quiet: the risk eases but stays inside the band under critical (tier_hysteresis), so the
    # message at most edited in place, stays CRITICAL, and nobody is pinged
    told = len(world.notifier.alerts)
    world.clock.advance(hours=3)
    world.snapshot(comments=26)
    world.post(0.1, negative=0.1, text="ขอบคุณครับ")
    world.clock.advance(minutes=15)
    world.dispatch()
    assert world.incident().severity == "critical"
    assert all(a.kind == "update" and a.mentions == () for a in world.notifier.alerts[told:])
    top_level = [a for a in world.notifier.alerts if a.kind == "new"]
    assert len(top_level) == 1


def test_new_risky_comment_is_a_thread_reply_and_benign_ones_are_not(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=0)
    world.post(0.6, start=True)
    world.dispatch()
    world.clock.advance(minutes=30)
    world.post(0.62, text="โดนเหมือนกันครับ เน็ตหลุดทุกวัน")
    world.post(0.05, negative=0.05, text="ลองรีสตาร์ทเราเตอร์ดูครับ")
    world.dispatch()
    replies = [a for a in world.notifier.alerts if a.kind == "reply"]
    assert len(replies) == 1 and "เน็ตหลุด" in replies[0].excerpt and replies[0].thread_ts == "100.0001"


def test_observing_the_same_posts_twice_enqueues_nothing_new(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=3)
    world.post(0.7, start=True)
    start_id = world.last_post_id
    world.post(0.7, text="risky comment")
    comment_id = world.last_post_id
    before = world.outbox()
    world.reobserve(start_id)
    world.reobserve(comment_id)
    assert world.outbox() == before
    world.dispatch()
    world.reobserve(comment_id)
    world.dispatch()
    assert world.notifier.kinds() == ["new", "reply"]


def test_updates_wait_out_the_cooldown_and_coalesce_into_one_edit(tmp_path: Path) -> None:
    world = World(tmp_path, AlertingConfig(cooldown_minutes=10))
    world.snapshot(comments=0)
    world.post(0.5, start=True)
    world.dispatch()
    for comments in (3, 4, 5):  # three changes within two minutes, same tier (over the 10/h chatter floor)
        world.clock.advance(minutes=1)
        world.snapshot(comments=comments)
        world.refresh()
        world.dispatch()
    updates = [a for a in world.notifier.alerts if a.kind == "update"]
    assert len(updates) == 1  # the first edit went out at once, the rest are waiting
    world.clock.advance(minutes=10)
    world.dispatch()
    updates = [a for a in world.notifier.alerts if a.kind == "update"]
    assert len(updates) == 2 and "+" in updates[-1].reason  # one edit carrying the newest state


def test_low_severity_goes_to_the_hourly_digest_not_a_message(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.wl = Wl(route=Route(channel="#care", digest_below="high"))
    world.snapshot(comments=0, thread="A")
    world.snapshot(comments=0, thread="B")
    world.post(0.55, start=True, thread="A")
    world.post(0.5, start=True, thread="B")
    world.dispatch()
    assert world.notifier.alerts == []
    world.clock.advance(hours=1)
    world.dispatch()
    assert world.notifier.kinds() == ["digest"]
    digest = world.notifier.alerts[0]
    assert digest.channel == "#care" and len(digest.items) == 2
    world.clock.advance(hours=1)
    world.dispatch()
    assert world.notifier.kinds() == ["digest"]  # nothing new, no empty digest


def test_quiet_incident_closes_and_a_flare_up_reopens_the_same_message(tmp_path: Path) -> None:
    world = World(tmp_path, AlertingConfig(close_after_quiet_hours=48))
    world.snapshot(comments=5)
    world.post(0.7, start=True)
    world.dispatch()
    world.clock.advance(hours=49)
    with world.store.session() as s:
        closed = world.engine.close_quiet(s)
    assert len(closed) == 1
    world.dispatch()
    assert world.incident().status == "closed"
    assert world.notifier.alerts[-1].kind == "update" and "closed" in world.notifier.alerts[-1].reason

    world.clock.advance(hours=30)
    world.post(0.8, cues=("แฉ",), text="กลับมาเป็นอีกแล้ว แฉเลย")
    world.dispatch()
    incident = world.incident()
    assert incident.status == "open" and incident.message_ts == "100.0001"
    update, reply = world.notifier.alerts[-2:]
    assert update.kind == "update" and update.message_ts == "100.0001"
    assert reply.kind == "reply" and reply.thread_ts == "100.0001" and "reopened" in reply.reason
    assert [a.kind for a in world.notifier.alerts].count("new") == 1


def test_acknowledged_or_snoozed_incidents_stop_pinging(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=0)
    incident = world.post(0.6, start=True)
    world.dispatch()
    world.clock.advance(minutes=7)
    with world.store.session() as s:
        world.engine.on_action(s, incident.id, "acknowledge", "U_AGENT")
    assert world.incident().time_to_ack_s == 420
    world.clock.advance(hours=1)
    world.snapshot(comments=40)
    world.refresh()
    world.dispatch()
    escalation = [a for a in world.notifier.alerts if a.kind == "escalation"][-1]
    assert escalation.mentions == ()  # someone is on it: the thread shows it, nobody is pinged

    with world.store.session() as s:
        world.engine.on_action(s, incident.id, "not_relevant", "U_AGENT")
    world.dispatch()
    count = len(world.notifier.alerts)
    world.post(0.95, cues=("ฟ้อง",), text="ฟ้องแน่")
    world.dispatch()
    assert len(world.notifier.alerts) == count
