"""The thread tracker through the daemon's own stages, on a simulated clock, against Pantip topics served over HTTP
and the local Slack server: one clock from the listing to the growth, re-reads that go on where the last read
stopped and touch only their own thread, closed threads that reopen on new activity, a new incident's first
message at once, a re-read pace that follows the thread, and a per-source re-read budget."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from listener.incidents.growth import thread_growth
from listener.ingest.tracker import ThreadTracker
from listener.store import incidents_repo
from sentiment import load_backend
from tests.fixture_server import FixtureServer
from tests.listener.pantip_site import COMMENTS, LISTING, POSTED, TID, PantipSite, SimClock, daemon, top_level
from tests.listener.test_incidents_world import World
from tests.slack_server import SlackTestServer

SOURCE = "pantip-mbk"


@pytest.fixture(scope="module")
def backend() -> Any:
    return load_backend("embedded")  # the shipped model, loaded once for the module


@pytest.fixture
def clock() -> SimClock:
    return SimClock(POSTED + timedelta(minutes=10))  # July 2024: years before the wall clock


def test_one_clock_from_the_listing_to_the_growth(tmp_path: Path, fixture_server: FixtureServer,
                                                 slack_server: SlackTestServer, clock: SimClock, backend: Any) -> None:
    site = PantipSite(fixture_server)
    site.add(2, POSTED + timedelta(minutes=5))
    pipeline = daemon(tmp_path, fixture_server, slack_server, clock, backend)
    first = clock()
    pipeline.run_once()  # the first run reads 24 h back from the simulated time, not from today
    clock.advance(minutes=30)
    site.add(30, clock() - timedelta(minutes=10))
    pipeline.track()
    with pipeline.parts.store.session() as session:
        topic = incidents_repo.thread_start(session, SOURCE, TID)
        assert topic is not None and topic.first_seen_at == first
        snaps = incidents_repo.thread_snapshots(session, SOURCE, TID, since=POSTED, until=clock())
        assert [(s.read_at, s.comments) for s in snaps] == [(first, 2), (clock(), 32)]
        # 32 comments since the topic was posted 40 minutes before (its posting time counts as a zero reading)
        assert thread_growth(session, SOURCE, TID, clock()).comments_per_hour == 48


def test_the_first_reread_goes_on_from_where_the_listing_stopped(
        tmp_path: Path, fixture_server: FixtureServer, slack_server: SlackTestServer, clock: SimClock,
        backend: Any) -> None:
    site = PantipSite(fixture_server)
    site.add(150, POSTED + timedelta(minutes=5))
    pipeline = daemon(tmp_path, fixture_server, slack_server, clock, backend)
    pipeline.run_once()
    assert site.comment_pages_asked() == [(TID, ""), (TID, "page2")]  # the listing read all 150
    clock.advance(minutes=5)
    site.add(1, clock())
    seen = len(fixture_server.requests_to(COMMENTS))
    assert pipeline.track() == 1
    assert site.comment_pages_asked(seen) == [(TID, "page2")]  # not page 1 again


def test_a_reread_reads_and_writes_only_its_own_threads_cursor(
        tmp_path: Path, fixture_server: FixtureServer, slack_server: SlackTestServer, clock: SimClock,
        backend: Any) -> None:
    tids = (TID, "43600011", "43600012")
    site = PantipSite(fixture_server, tids)
    for tid in tids:
        site.add(3, POSTED + timedelta(minutes=5), tid=tid)
    pipeline = daemon(tmp_path, fixture_server, slack_server, clock, backend)
    pipeline.run_once()
    clock.advance(minutes=5)
    site.add(2, clock(), tid=TID)
    with _statements(pipeline) as statements:
        assert pipeline.track() == 2
    assert [s for s in statements if re.search(r"\bsources\b", s)] == []  # the source's row is not touched
    from listener.store import sources_repo

    with pipeline.parts.store.session() as session:
        assert [sources_repo.thread_cursor(session, SOURCE, tid)["comments"] for tid in tids] == [5, 3, 3]


def test_a_closed_incident_reopens_in_its_slack_thread_when_the_topic_comes_back(
        tmp_path: Path, fixture_server: FixtureServer, slack_server: SlackTestServer, clock: SimClock,
        backend: Any) -> None:
    site = PantipSite(fixture_server)
    site.add(2, POSTED + timedelta(minutes=5))
    pipeline = daemon(tmp_path, fixture_server, slack_server, clock, backend,
                      tracking="{closed_every: 1d, closed_for: 7d}")
    pipeline.run_once()
    [card] = top_level(slack_server)
    clock.advance(hours=49)  # quiet for longer than close_after_quiet_hours (48)
    pipeline.run_once()
    pipeline.housekeeping()
    assert _incident(pipeline).status == "closed"
    reads = site.topic_reads()
    clock.advance(hours=12)
    pipeline.run_once()
    assert site.topic_reads() == reads  # closed threads are read rarely: not yet
    site.add(1, clock(), text="สองวันแล้วเน็ตยังหลุดอยู่เลย ร้องเรียน สคบ. แน่นอน")
    clock.advance(hours=13)
    pipeline.run_once()  # a day after closing: re-read, the new comment reopens the incident
    assert site.topic_reads() == reads + 1 and _incident(pipeline).status == "open"
    assert len(top_level(slack_server)) == 1  # no second card
    replies = [m["text"] + json.dumps(m.get("blocks", []), ensure_ascii=False)
               for m in slack_server.replies("#care", card["ts"])]
    assert any("reopened" in reply for reply in replies), replies


def test_closed_threads_are_let_go_after_closed_for(tmp_path: Path, fixture_server: FixtureServer,
                                                    slack_server: SlackTestServer, clock: SimClock,
                                                    backend: Any) -> None:
    site = PantipSite(fixture_server)
    site.add(2, POSTED + timedelta(minutes=5))
    pipeline = daemon(tmp_path, fixture_server, slack_server, clock, backend,
                      tracking="{closed_every: 1d, closed_for: 3d}")
    pipeline.run_once()
    clock.advance(hours=49)
    pipeline.run_once()
    pipeline.housekeeping()
    reads = site.topic_reads()
    for _ in range(6):  # six days, one track pass a day
        clock.advance(days=1)
        pipeline.track()
    assert site.topic_reads() - reads == 3  # once a day for closed_for (3 days), then never again


def test_a_new_watch_tier_incident_gets_its_own_message_at_once(
        tmp_path: Path, fixture_server: FixtureServer, slack_server: SlackTestServer, clock: SimClock,
        backend: Any) -> None:
    site = PantipSite(fixture_server)
    site.add(2, POSTED + timedelta(minutes=5))
    pipeline = daemon(tmp_path, fixture_server, slack_server, clock, backend, route='{channel: "#care"}',
                      tiers="{watch: 0.3, high: 0.98, critical: 0.99}")
    pipeline.run_once()  # one poll, then scoring, evaluation and one dispatch pass
    assert _incident(pipeline).severity == "watch"
    [card] = top_level(slack_server)
    assert "[WATCH]" in card["text"] and "สายฟ้าเน็ต" in card["text"]


def test_the_reread_budget_spaces_rereads_out_and_never_holds_the_listing(
        tmp_path: Path, fixture_server: FixtureServer, slack_server: SlackTestServer, clock: SimClock,
        backend: Any) -> None:
    tids = (TID, "43600011", "43600012")
    site = PantipSite(fixture_server, tids)
    for tid in tids:
        site.add(2, POSTED + timedelta(minutes=5), tid=tid)
    # 12 re-read requests an hour (one re-read here is 2 requests: the topic page and one comment page)
    pipeline = daemon(tmp_path, fixture_server, slack_server, clock, backend, tracking="{requests_per_hour: 12}")
    pipeline.run_once()
    reread = [site.topic_reads(tid) for tid in tids]
    passes = []
    for _ in range(3):
        clock.advance(minutes=10)
        listings = len(fixture_server.requests_to(LISTING))
        pipeline.run_once()
        assert len(fixture_server.requests_to(LISTING)) == listings + 1  # the listing is polled whatever
        now = [site.topic_reads(tid) for tid in tids]
        passes.append([b - a for a, b in zip(reread, now)])
        reread = now
    assert [sum(p) for p in passes] == [1, 1, 1]  # one re-read per 10 minutes fits 12 requests an hour
    assert [sum(column) for column in zip(*passes)] == [1, 1, 1]  # each thread in turn, none twice


def test_a_young_fast_thread_is_reread_sooner_than_a_cold_one(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.clock.advance(days=-3)
    world.post(0.7, start=True, thread="COLD")
    world.clock.advance(hours=2)
    for _ in range(3):
        world.post(0.1, thread="COLD")
    world.clock.advance(days=3, hours=-2, minutes=-20)
    world.post(0.7, start=True, thread="HOT")
    for _ in range(30):  # 30 comments in its first 20 minutes
        world.clock.advance(seconds=40)
        world.post(0.1, thread="HOT")
    tracker = ThreadTracker(world.clock)
    with world.store.session() as session:
        hot = tracker.reschedule_thread(session, "pantip", "HOT") - world.clock()
        cold = tracker.reschedule_thread(session, "pantip", "COLD") - world.clock()
    from listener.config.schema import TrackingConfig

    config = TrackingConfig()
    assert config.duration("fastest") <= hot <= timedelta(minutes=5)
    assert timedelta(hours=1) <= cold <= config.duration("slowest")


def _incident(pipeline: Any) -> Any:
    with pipeline.parts.store.session() as session:
        return incidents_repo.find_incident(session, SOURCE, TID, "saifah-net")


class _statements:
    """Every SQL statement the store sends while the block runs."""

    def __init__(self, pipeline: Any) -> None:
        self.engine, self.seen = pipeline.parts.store.engine, []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

