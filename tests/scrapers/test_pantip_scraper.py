"""PantipScraper end to end over real HTTP against the local fixture server."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from scrapers.base import ScrapeError
from scrapers.http import HttpClient, HttpPolicy
from scrapers.pantip import PantipOptions, PantipScraper
from tests.fixture_server import FIXTURES, Answer, FixtureServer

PANTIP = FIXTURES / "pantip"
AUTH = {"ptauthorize": "Basic dGVzdGVyOnRlc3Rlcg=="}
ALL_IDS = ["43500105", "43500104", "43500102", "43500101", "43500099", "43500090"]
LISTING = "/api/forum-service/forum/room_topic"


def client() -> HttpClient:
    return HttpClient(HttpPolicy(rate_per_host=0, backoff_base_s=0.01, timeout_s=5), sleep=lambda s: None)


def scraper(server: FixtureServer, **options: object) -> PantipScraper:
    opts = PantipOptions(**{"rooms": ["mbk"], "base_url": server.base_url, "backfill_hours": 24 * 365 * 30,
                            "comments": False, **options})
    return PantipScraper("pantip-mbk", opts, client())


def serve_listing(server: FixtureServer) -> None:
    server.add("GET", LISTING, file=PANTIP / "room_topic_page1_synthetic.json", query={"room": "mbk"},
               require_headers=AUTH)
    for page, next_id in ((2, "43500102"), (3, "43500099")):
        server.add("GET", LISTING, file=PANTIP / f"room_topic_page{page}_synthetic.json",
                   query={"room": "mbk", "next_id": next_id}, require_headers=AUTH)


def topic_ids(posts: list) -> list[str]:
    return [p.external_id for p in posts if p.is_thread_start]


def test_listing_pages_until_the_end_then_only_new(fixture_server: FixtureServer) -> None:
    serve_listing(fixture_server)
    result = scraper(fixture_server).fetch(None)
    assert topic_ids(result.posts) == ALL_IDS and result.pages_read == 3
    assert result.cursor["listings"]["room:mbk"] == {"newest": "43500105"}
    first = fixture_server.requests_to(LISTING)[0]
    assert first.param("limit") == "50" and first.param("next_id") is None
    # Next run: page 1 starts with the newest seen topic, so nothing is new and paging stops.
    again = scraper(fixture_server).fetch(json.loads(json.dumps(result.cursor)))
    assert again.posts == [] and again.pages_read == 1


def test_backfill_window_bounds_first_run(fixture_server: FixtureServer) -> None:
    serve_listing(fixture_server)
    # Only topics newer than 2024-07-01 09:00 UTC fall inside the window.
    hours = (datetime.now(timezone.utc) - datetime(2024, 7, 1, 9, 0, tzinfo=timezone.utc)).total_seconds() / 3600
    result = scraper(fixture_server, backfill_hours=hours).fetch(None)
    assert topic_ids(result.posts) == ["43500105", "43500104", "43500102"]
    assert result.cursor["listings"]["room:mbk"] == {"newest": "43500105"}
    assert len(fixture_server.requests_to(LISTING)) == 2  # page 2 showed a topic past the window


def test_restart_in_the_middle_of_paging(fixture_server: FixtureServer) -> None:
    serve_listing(fixture_server)
    first = scraper(fixture_server, max_pages=1).fetch(None)
    assert topic_ids(first.posts) == ALL_IDS[:3]
    saved = json.loads(json.dumps(first.cursor))  # what the listener stores
    assert saved["listings"]["room:mbk"]["paging"]["next_id"] == "43500102"
    # A new process with a new client resumes at page 2: no duplicate, no gap.
    second = scraper(fixture_server, max_pages=5).fetch(saved)
    assert topic_ids(second.posts) == ALL_IDS[3:]
    assert second.cursor["listings"]["room:mbk"] == {"newest": "43500105"}
    assert fixture_server.requests_to(LISTING)[1].param("next_id") == "43500102"


def test_failure_on_page_two_keeps_page_one_and_resumes(fixture_server: FixtureServer) -> None:
    serve_listing(fixture_server)
    fixture_server.add("GET", LISTING, status=500, query={"room": "mbk", "next_id": "43500102"})
    broken = scraper(fixture_server).fetch(None)
    assert topic_ids(broken.posts) == ALL_IDS[:3] and "page 2" in broken.errors[0]
    fixture_server.add("GET", LISTING, file=PANTIP / "room_topic_page2_synthetic.json",
                       query={"room": "mbk", "next_id": "43500102"})
    healed = scraper(fixture_server).fetch(broken.cursor)
    assert topic_ids(healed.posts) == ALL_IDS[3:] and healed.errors == []


def test_429_with_retry_after_then_success(fixture_server: FixtureServer) -> None:
    serve_listing(fixture_server)
    fixture_server.add_sequence("GET", LISTING, [
        Answer(status=429, headers={"Retry-After": "1"}),
        Answer.from_file(PANTIP / "room_topic_page3_synthetic.json")], query={"room": "mbk"})
    result = scraper(fixture_server).fetch(None)
    assert topic_ids(result.posts) == ["43500090"]
    assert len(fixture_server.requests_to(LISTING)) == 2


def test_listing_down_raises(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", LISTING, status=503)
    with pytest.raises(ScrapeError) as caught:
        scraper(fixture_server, comments=False).fetch(None)
    assert caught.value.status == 503  # type: ignore[attr-defined]


def serve_topic_pages(server: FixtureServer, page: str = "topic_small_synthetic.html") -> None:
    for tid in ALL_IDS[:3]:
        server.add("GET", f"/topic/{tid}", file=PANTIP / page)
    server.add("GET", "/topic/43500104", file=PANTIP / "topic_deleted_synthetic.html")
    server.add("GET", "/forum/topic/render_comments", file=PANTIP / "render_comments_tid37553384_2018.json",
               require_headers={"X-Requested-With": "XMLHttpRequest"})


def test_topics_with_comments(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", LISTING, file=PANTIP / "room_topic_page1_synthetic.json")
    fixture_server.add("GET", LISTING, file=PANTIP / "room_topic_page3_synthetic.json", query={"next_id": "43500102"})
    serve_topic_pages(fixture_server)
    fixture_server.add("GET", "/topic/43500090", file=PANTIP / "topic_small_synthetic.html")
    result = scraper(fixture_server, comments=True).fetch(None)
    topic = next(p for p in result.posts if p.external_id == "43500105")
    assert topic.text.startswith("เน็ตหลุดทุกคืน") and topic.engagement.comments == 12
    assert topic.engagement.reactions == 1207
    assert "43500104" not in topic_ids(result.posts)  # deleted topic skipped
    comments = [p for p in result.posts if p.thread_id == "43500102" and not p.is_thread_start]
    assert len(comments) == 9 and comments[5].external_id == "43500102#5.1"
    assert comments[0].url == f"{fixture_server.base_url}/topic/43500102/comment1"
    assert result.threads["43500102"] == {"comments": 8, "replies": {"5": 1}, "reads": 0, "sweep": 0}
    call = fixture_server.requests_to("/forum/topic/render_comments")[0]
    assert call.param("tid") == "43500105" and call.headers["referer"].endswith("/topic/43500105")


def test_layout_change_raises(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", LISTING, file=PANTIP / "room_topic_page3_synthetic.json")
    fixture_server.add("GET", "/topic/43500090", file=PANTIP / "topic_layout_changed_synthetic.html")
    with pytest.raises(ScrapeError) as caught:
        scraper(fixture_server, comments=True).fetch(None)
    assert caught.value.layout_changed


def test_fetch_thread_reads_only_new_comments(fixture_server: FixtureServer) -> None:
    serve_topic_pages(fixture_server)
    result = scraper(fixture_server).fetch_thread("43500105", {"comments": 4})
    assert result.posts[0].is_thread_start and result.posts[0].engagement.comments == 8
    assert [p.external_id for p in result.posts[1:]] == [
        "43500105#5", "43500105#5.1", "43500105#6", "43500105#7", "43500105#8"]
    assert result.cursor == {"comments": 8, "replies": {"5": 1}, "reads": 1, "sweep": 0}
    assert fixture_server.requests_to("/forum/topic/render_comments")[0].param("param") == ""


def test_keyword_search(fixture_server: FixtureServer) -> None:
    fixture_server.add("POST", "/api/search-service/search/getresult",
                       file=PANTIP / "search_getresult_synthetic.json", require_headers=AUTH)
    result = scraper(fixture_server, rooms=[], keywords=["ทรูมูฟ"]).fetch(None)
    assert topic_ids(result.posts) == ["43500200", "43500150"]
    body = json.loads(fixture_server.requests_to("/api/search-service/search/getresult")[0].body)
    assert body == {"keyword": "ทรูมูฟ", "page": 1, "rooms": [], "timebias": True}
    assert result.cursor["listings"]["search:ทรูมูฟ"] == {"newest": "43500200"}
