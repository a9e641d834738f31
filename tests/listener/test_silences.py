"""Silences hold back Slack messages about a watchlist, a thread or a term, never the evaluation; what a silence
suppressed is listed when it ends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from listener.delivery.silences import add_silence, expire_silence
from listener.store import silences_repo
from listener.store.models import MatchRow
from tests.listener.test_incidents_world import World


def _silence(world: World, hours: float = 2, **matchers):  # type: ignore[no-untyped-def]
    with world.store.session() as s:
        return add_silence(s, now=world.clock(), duration=timedelta(hours=hours), by="U_LEAD", **matchers).id


def _matched_post(world: World, thread: str, terms: list[str], **kwargs):  # type: ignore[no-untyped-def]
    """A thread start stored with its watchlist match, as the scoring stage writes it."""
    incident = world.post(0.8, start=True, thread=thread, **kwargs)
    with world.store.session() as s:
        s.add(MatchRow(post_id=world.last_post_id, watchlist="acme", terms=terms, cues=[], matched_at=world.clock()))
    return incident


def test_a_silenced_watchlist_is_evaluated_but_not_notified(tmp_path: Path) -> None:
    world = World(tmp_path)
    silence_id = _silence(world, watchlist="acme", comment="known outage")
    world.snapshot(comments=3)
    incident = world.post(0.8, start=True)
    world.clock.advance(minutes=1)
    world.post(0.8, text="ความเห็นที่โกรธมาก")
    world.dispatch()
    assert world.notifier.alerts == []
    assert incident is not None and world.incident().risk > 0.5  # the incident is there, with its risk
    assert [status for kind, status, _ in world.outbox() if kind in ("new", "reply")] == ["silenced", "silenced"]
    with world.store.session() as s:
        assert silences_repo.silenced_counts(s) == {silence_id: 2}


def test_when_the_silence_ends_what_it_held_back_is_listed_once(tmp_path: Path) -> None:
    world = World(tmp_path)
    _silence(world, hours=1, watchlist="acme")
    world.snapshot(comments=3)
    world.post(0.8, start=True)
    world.dispatch()
    world.clock.advance(minutes=61)
    world.dispatch()
    world.dispatch()
    notices = [a for a in world.notifier.alerts if a.kind == "digest"]
    assert len(notices) == 1
    assert notices[0].title == "Silence on watchlist acme ended: 1 alert(s) were silenced"
    assert [item.title for item in notices[0].items] == ["เน็ตล่มทั้งวัน"]
    world.clock.advance(minutes=5)
    world.post(0.95, cues=("ฟ้อง",), text="จะฟ้อง สคบ.")  # its next change earns the incident its own card
    world.dispatch()
    assert world.notifier.kinds()[-1] == "new"


def test_a_thread_silence_leaves_other_threads_alone(tmp_path: Path) -> None:
    world = World(tmp_path)
    _silence(world, thread=("pantip", "T1"))
    world.snapshot(comments=3, thread="T1")
    world.snapshot(comments=3, thread="T2")
    world.post(0.8, start=True, thread="T1")
    world.post(0.8, start=True, thread="T2")
    world.dispatch()
    assert [a.url for a in world.notifier.alerts] == ["https://pantip.com/topic/T2#T2"]


def test_a_term_silence_matches_the_terms_an_incident_was_matched_on(tmp_path: Path) -> None:
    world = World(tmp_path)
    _silence(world, term="TrueMove")
    world.snapshot(comments=3, thread="T1")
    world.snapshot(comments=3, thread="T2")
    _matched_post(world, "T1", ["truemove"])
    _matched_post(world, "T2", ["dtac"])
    world.dispatch()
    assert [a.url for a in world.notifier.alerts] == ["https://pantip.com/topic/T2#T2"]


def test_expiring_a_silence_early_lets_the_next_alerts_through(tmp_path: Path) -> None:
    world = World(tmp_path)
    silence_id = _silence(world, hours=24, watchlist="acme")
    world.snapshot(comments=3, thread="T1")
    world.post(0.8, start=True, thread="T1")
    world.dispatch()
    with world.store.session() as s:
        assert expire_silence(s, silence_id, now=world.clock(), by="U_LEAD").expired_by == "U_LEAD"
    world.snapshot(comments=3, thread="T2")
    world.post(0.8, start=True, thread="T2")
    world.dispatch()
    world.dispatch()
    assert sorted(a.kind for a in world.notifier.alerts) == ["digest", "new"]


def test_digest_lines_of_a_silenced_watchlist_leave_the_digest(tmp_path: Path) -> None:
    from listener.config.alerting import Route
    from tests.listener.test_incidents_world import Wl

    world = World(tmp_path)
    world.wl = Wl(route=Route(channel="#care", digest_below="critical"))
    _silence(world, hours=3, watchlist="acme")
    world.snapshot(comments=3)
    world.post(0.8, start=True)
    world.clock.advance(hours=1, minutes=1)
    world.dispatch()
    assert world.notifier.alerts == []
    assert ("new", "silenced", "#care") in world.outbox()


@pytest.mark.parametrize("matchers, duration", [({}, 1), ({"watchlist": "acme"}, 0), ({"watchlist": " "}, 1)])
def test_a_silence_must_name_something_and_last_a_while(tmp_path: Path, matchers: dict, duration: float) -> None:
    world = World(tmp_path)
    with world.store.session() as s, pytest.raises(ValueError):
        add_silence(s, now=world.clock(), duration=timedelta(hours=duration), **matchers)


def test_the_slack_menu_silences_the_incidents_thread_or_watchlist(tmp_path: Path) -> None:
    from listener.delivery.silences import silence_incident

    world = World(tmp_path)
    world.snapshot(comments=3)
    incident = world.post(0.8, start=True)
    with world.store.session() as s:
        thread = silence_incident(s, incident.id, "thread", hours=24, by="U_AGENT", now=world.clock())
        brand = silence_incident(s, incident.id, "watchlist", hours=1, by="U_AGENT", now=world.clock())
        assert silence_incident(s, 999, "thread", hours=1, by="U_AGENT", now=world.clock()) is None
        assert (thread.source, thread.thread_id, thread.watchlist) == ("pantip", "T1", None)
        assert (brand.watchlist, brand.ends_at - brand.starts_at) == ("acme", timedelta(hours=1))
    world.dispatch()
    assert world.notifier.alerts == []  # the card decided before the click is held back too
