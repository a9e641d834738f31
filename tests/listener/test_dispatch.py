"""Dispatcher rules with a recording notifier: quiet hours, channel budget, dead letters, order, summaries."""

from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

from alerts.types import Delivery
from listener.config.alerting import AlertingConfig, QuietHours, Route, Tiers
from listener.delivery.digests import enqueue_daily_summaries
from listener.store import incidents_repo
from listener.delivery.outbox import alert_from_payload, alert_to_payload
from listener.store import outbox_repo
from listener.store.models import MatchRow
from tests.listener.test_incidents_world import World, Wl

NIGHT = Route(channel="#care", mentions=("U0ONCALL",), digest_below=None,
              quiet_hours=QuietHours(start=time(22, 0), end=time(7, 0), tz="Asia/Bangkok"))


def test_quiet_hours_hold_all_but_critical_then_one_catch_up_digest(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.wl = Wl(route=NIGHT, tiers=Tiers(watch=0.45, high=0.65, critical=0.85))
    world.clock.now = datetime(2026, 11, 20, 16, 0, tzinfo=timezone.utc)  # 23:00 in Bangkok
    for thread in ("A", "B"):
        world.snapshot(comments=1, thread=thread)
        world.post(0.6, start=True, thread=thread)
    world.snapshot(comments=1, thread="C")
    world.post(0.98, negative=0.95, cues=("ฟ้อง", "สคบ.", "แฉ"), start=True, thread="C")
    stats = world.dispatch()
    assert stats.held == 2
    assert [(a.kind, a.severity) for a in world.notifier.alerts] == [("new", "critical")]  # evaluation went on

    world.clock.advance(hours=2)  # 01:00, still quiet: a comment on A is held too, nothing is sent
    world.post(0.62, thread="A", text="ยังไม่ได้รับการติดต่อเลย")
    world.dispatch()
    assert len(world.notifier.alerts) == 1

    with world.store.session() as s:  # the thread kept growing after its lines were held
        incidents_repo.find_incident(s, "pantip", "A", world.wl.name).risk = 0.77
    world.clock.now = datetime(2026, 11, 21, 0, 5, tzinfo=timezone.utc)  # 07:05 in Bangkok
    world.dispatch()
    world.clock.advance(minutes=5)
    world.dispatch()
    assert world.notifier.kinds() == ["new", "digest"]
    catch_up = world.notifier.alerts[1]
    assert catch_up.channel == "#care" and {i.incident_id for i in catch_up.items} == {1, 2}
    assert "quiet hours" in catch_up.title
    line_a = next(i for i in catch_up.items if i.incident_id == 1)
    assert line_a.risk == 0.77  # the incident as it is at release, not as it was when held


def test_over_the_hourly_budget_new_threads_go_to_the_digest(tmp_path: Path) -> None:
    world = World(tmp_path, AlertingConfig(channel_budget_per_hour=2))
    for thread in ("A", "B", "C", "D"):
        world.snapshot(comments=1, thread=thread)
        world.post(0.7, start=True, thread=thread)
    stats = world.dispatch()
    assert world.notifier.kinds() == ["new", "new"] and stats.to_digest == 2
    world.clock.advance(hours=1)
    world.dispatch()
    assert world.notifier.kinds() == ["new", "new", "digest"]
    assert [i.incident_id for i in world.notifier.alerts[-1].items] == [3, 4]


def test_permanent_error_goes_dead_with_one_ops_alert_and_later_rows_are_dropped(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=1)
    world.post(0.7, start=True)
    world.post(0.7, text="comment that needs the parent message")
    world.notifier.answers = [Delivery(ok=False, error="channel_not_found", permanent=True)]
    stats = world.dispatch()
    assert stats.dead == 1
    world.dispatch()
    world.dispatch()
    health = [a for a in world.notifier.alerts if a.kind == "health"]
    assert len(health) == 1 and health[0].channel == "#social-listening-ops"
    assert "channel_not_found" in health[0].excerpt
    assert [a.kind for a in world.notifier.alerts].count("reply") == 0
    assert ("reply", "superseded", "#care") in world.outbox()


def test_rows_past_max_attempts_die(tmp_path: Path) -> None:
    world = World(tmp_path, AlertingConfig(max_attempts=3))
    world.snapshot(comments=1)
    world.post(0.7, start=True)
    world.notifier.answers = [Delivery(ok=False, error="http 500")] * 3
    for _ in range(3):
        world.dispatch()
        world.clock.advance(minutes=15)
    world.dispatch()
    assert ("new", "dead", "#care") in world.outbox()
    assert world.notifier.kinds() == ["new", "new", "new", "health"]


def test_payload_round_trip_keeps_every_field(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=9)
    world.post(0.8, cues=("ฟ้อง",), start=True)
    with world.store.session() as s:
        row = outbox_repo.all_rows(s)[0]
        alert = alert_from_payload(row.payload)
    assert alert_to_payload(alert) == row.payload
    assert alert.engagement["comments"] == 9 and "ฟ้อง" in alert.reason


def test_daily_summary_counts_sentiment_and_uploads_a_chart(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.snapshot(comments=1)
    world.post(0.7, start=True)
    with world.store.session() as s:
        s.add(MatchRow(post_id=world.last_post_id, watchlist="acme", terms=["acme"], matched_at=world.clock()))
    world.clock.advance(days=1)
    with world.store.session() as s:
        made = enqueue_daily_summaries(s, [world.wl], world.clock(), channel_of=lambda wl: "#care",
                                       timezone="Asia/Bangkok")
        again = enqueue_daily_summaries(s, [world.wl], world.clock(), channel_of=lambda wl: "#care",
                                        timezone="Asia/Bangkok")
    assert (made, again) == (1, 0)
    world.dispatch()
    summary = [a for a in world.notifier.alerts if a.kind == "summary"][0]
    assert summary.counts == {"negative": 1} and summary.items[0].title == "เน็ตล่มทั้งวัน"
    assert world.notifier.files == [("#care", "acme: last 7 days")]
