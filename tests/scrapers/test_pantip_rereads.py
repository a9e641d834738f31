"""What a Pantip re-read costs and what it may not miss, counted in requests to the local fixture server:
a re-read asks only for the comment page that can hold new comments, earlier pages are revisited one at a time
for new replies to old comments, a listing hands each topic's comment progress to the thread tracker, a topic
page that failed is read again on the next run, and the first-run window follows the clock it is given."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from scrapers.http import HttpClient, HttpPolicy
from scrapers.pantip import PantipOptions, PantipScraper
from tests.fixture_server import FIXTURES, Answer, FixtureServer
from tests.scrapers.test_pantip_threads import COMMENTS, TID, comment, ids, numbered_pages, page

PANTIP = FIXTURES / "pantip"
LISTING = "/api/forum-service/forum/room_topic"


def scraper(server: FixtureServer, clock: Any = None, **options: Any) -> PantipScraper:
    http = HttpClient(HttpPolicy(rate_per_host=0, retries=0, timeout_s=5), sleep=lambda s: None)
    opts = PantipOptions(**{"rooms": ["mbk"], "base_url": server.base_url, "backfill_hours": 24 * 365 * 30,
                            "comments": True, **options})
    return PantipScraper("pantip-mbk", opts, http, **({"clock": clock} if clock else {}))


def comment_pages_asked(server: FixtureServer, since: int) -> list[str | None]:
    return [r.param("param") for r in server.requests_to(COMMENTS)[since:]]


def saved(cursor: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(cursor))  # what the listener stores and hands back


def test_a_reread_asks_only_for_the_page_that_can_hold_new_comments(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", f"/topic/{TID}", file=PANTIP / "topic_small_synthetic.html")
    numbered_pages(fixture_server, 250)
    first = scraper(fixture_server).fetch_thread(TID, None)
    assert first.cursor["comments"] == 250
    numbered_pages(fixture_server, 252)  # two new comments, both on page 3
    before = len(fixture_server.requests)
    again = scraper(fixture_server).fetch_thread(TID, saved(first.cursor))
    assert ids(again.posts) == [TID, f"{TID}#251", f"{TID}#252"]
    asked = [(r.path, r.param("param")) for r in fixture_server.requests[before:] if r.path != "/robots.txt"]
    assert asked == [(f"/topic/{TID}", None), (COMMENTS, "page3")]  # the topic's engagement, then its news


def test_new_comments_spanning_pages_are_read_without_a_gap(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", f"/topic/{TID}", file=PANTIP / "topic_small_synthetic.html")
    numbered_pages(fixture_server, 150)
    first = scraper(fixture_server).fetch_thread(TID, None)
    numbered_pages(fixture_server, 420)
    seen = len(fixture_server.requests_to(COMMENTS))
    again = scraper(fixture_server, max_comment_pages=2).fetch_thread(TID, saved(first.cursor))
    rest = scraper(fixture_server, max_comment_pages=2).fetch_thread(TID, saved(again.cursor))
    got = ids(again.posts)[1:] + ids(rest.posts)[1:]
    assert got == [f"{TID}#{n}" for n in range(151, 421)]
    assert comment_pages_asked(fixture_server, seen) == ["page2", "page3", "page4", "page5"]


def test_earlier_pages_are_revisited_one_at_a_time_for_new_replies(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", f"/topic/{TID}", file=PANTIP / "topic_small_synthetic.html")
    numbered_pages(fixture_server, 250)
    cursor = saved(scraper(fixture_server).fetch_thread(TID, None).cursor)
    # Comment 5, on page 1, gets a reply; nothing else changes.
    fixture_server.add("GET", COMMENTS, query={"param": ""}, body=page(
        [comment(n, replies=1 if n == 5 else 0) for n in range(1, 101)], 250, 1))
    seen, found = len(fixture_server.requests_to(COMMENTS)), []
    for _ in range(4):  # reads 2 to 5 of the topic: every second one also revisits one earlier page
        result = scraper(fixture_server, reply_sweep_every=2).fetch_thread(TID, cursor)
        found.append(ids(result.posts)[1:])
        cursor = saved(result.cursor)
    assert comment_pages_asked(fixture_server, seen) == ["page3", "page2", "page3", "page3", "", "page3"]
    assert found == [[], [], [f"{TID}#5.1"], []]


def test_the_listing_hands_each_topics_comment_progress_to_the_tracker(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", LISTING, body=_listing(TID, datetime(2024, 7, 1, tzinfo=timezone.utc)))
    fixture_server.add("GET", f"/topic/{TID}", file=PANTIP / "topic_small_synthetic.html")
    numbered_pages(fixture_server, 150)
    listed = scraper(fixture_server).fetch(None)
    assert listed.threads == {TID: {"comments": 150, "replies": {}, "reads": 0, "sweep": 0}}
    assert "topics" not in listed.cursor  # per-thread progress no longer rides in the source's cursor
    seen = len(fixture_server.requests_to(COMMENTS))
    again = scraper(fixture_server).fetch_thread(TID, saved(listed.threads[TID]))
    assert ids(again.posts) == [TID] and comment_pages_asked(fixture_server, seen) == ["page2"]


def test_a_topic_page_that_failed_is_read_with_its_comments_on_the_next_run(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", LISTING, body=_listing(TID, datetime(2024, 7, 1, tzinfo=timezone.utc)))
    fixture_server.add_sequence("GET", f"/topic/{TID}", [Answer(status=503),
                                                       Answer.from_file(PANTIP / "topic_small_synthetic.html")])
    fixture_server.add("GET", COMMENTS, body=page([comment(1), comment(2, replies=1)], 2))
    broken = scraper(fixture_server).fetch(None)
    assert ids(broken.posts) == [TID] and "503" in broken.errors[0]  # the listing's title, nothing lost
    healed = scraper(fixture_server).fetch(saved(broken.cursor))
    assert ids(healed.posts) == [TID, f"{TID}#1", f"{TID}#2", f"{TID}#2.1"] and healed.errors == []
    assert healed.threads[TID]["comments"] == 2
    assert scraper(fixture_server).fetch(saved(healed.cursor)).posts == []  # done: not read a third time


def test_a_topic_page_that_keeps_failing_is_given_up_after_a_few_runs(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", LISTING, body=_listing(TID, datetime(2024, 7, 1, tzinfo=timezone.utc)))
    fixture_server.add("GET", f"/topic/{TID}", status=503)
    cursor: dict[str, Any] | None = None
    for _ in range(6):
        cursor = saved(scraper(fixture_server).fetch(cursor).cursor)
    assert len(fixture_server.requests_to(f"/topic/{TID}")) == 3
    assert cursor.get("retry", {}) == {}


def test_the_first_run_window_follows_the_clock_it_is_given(fixture_server: FixtureServer) -> None:
    posted = datetime(2024, 7, 1, 13, 5, tzinfo=timezone.utc)
    fixture_server.add("GET", LISTING, body=_listing(TID, posted))
    simulated = lambda: posted + timedelta(hours=2)  # noqa: E731  (a replay's clock, years before today)
    result = scraper(fixture_server, clock=simulated, backfill_hours=24, comments=False).fetch(None)
    assert ids(result.posts) == [TID]
    assert scraper(fixture_server, backfill_hours=24, comments=False).fetch(None).posts == []  # wall clock


def _listing(tid: str, posted: datetime) -> str:
    topic = {"topic_id": int(tid), "title": "เน็ตหลุดทุกคืน", "comments_count": 2, "votes_count": 0,
             "views_count": 10, "author": {"name": "a"}, "created_time": posted.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "tags": []}
    return json.dumps({"data": [topic], "next_id": None, "has_next": False})

