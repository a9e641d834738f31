"""The selector-configured forum scraper, pointed at captured Pantip pages with no Pantip code."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from scrapers.base import ScrapeError
from scrapers.forum import ForumOptions, ForumScraper
from scrapers.http import HttpClient, HttpPolicy
from tests.fixture_server import FIXTURES, Answer, FixtureServer

PANTIP_SELECTORS = dict(
    listing_url="/forum/mbk", item_link="a.topic-link", next_page="a.next",
    title="div.main-post .display-post-title", body="div.main-post div.display-post-story",
    author="div.main-post a.display-post-name.owner", time="div.main-post span.display-post-timestamp abbr",
    time_attr="data-utime", time_format="%m/%d/%Y %H:%M:%S", utc_offset_hours=7,
    comment="#comments-jsrender div.display-post-wrapper.section-comment",
    comment_body=".display-post-story", comment_author="a.display-post-name", comment_time="abbr.timeago",
    lang="th")


def client() -> HttpClient:
    return HttpClient(HttpPolicy(rate_per_host=0, timeout_s=10), sleep=lambda s: None)


def serve(server: FixtureServer) -> None:
    server.add("GET", "/forum/mbk", file=FIXTURES / "forum/listing_page1_synthetic.html")
    server.add("GET", "/forum/mbk", file=FIXTURES / "forum/listing_page2_synthetic.html", query={"page": "2"})
    server.add("GET", "/topic/30000000", file=FIXTURES / "pantip/topic_30000000_rendered_2019.html")
    server.add("GET", "/topic/43500105", file=FIXTURES / "pantip/topic_small_synthetic.html")


def test_forum_scraper_reads_pantip_by_config_only(fixture_server: FixtureServer) -> None:
    serve(fixture_server)
    options = ForumOptions(base_url=fixture_server.base_url, **PANTIP_SELECTORS)
    result = ForumScraper("pantip-html", options, client()).fetch(None)
    topics = [p for p in result.posts if p.is_thread_start]
    assert [t.url for t in topics] == [fixture_server.url("/topic/30000000"), fixture_server.url("/topic/43500105")]
    welcome = topics[0]
    assert welcome.title.startswith("ยินดีต้อนรับสู่ Pantip โฉมใหม่") and welcome.author == "Pantip Developer Team"
    assert welcome.posted_at == datetime(2013, 1, 1, 11, 23, 45, tzinfo=timezone.utc)
    comments = [p for p in result.posts if p.thread_id == welcome.url and not p.is_thread_start]
    assert len(comments) == 163
    assert comments[0].text.startswith("ชอบครับ") and comments[0].author == "pisity"
    assert comments[0].posted_at == datetime(2013, 1, 1, 11, 46, 32, tzinfo=timezone.utc)
    assert comments[0].url == welcome.url + "#comment-1227571"
    assert result.pages_read == 2 and len(fixture_server.requests_to("/topic/30000000")) == 1
    # Second run: both topics were seen; only the listing is read.
    again = ForumScraper("pantip-html", options, client()).fetch(result.cursor)
    assert again.posts == []


def test_forum_layout_change(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/forum/mbk", file=FIXTURES / "forum/listing_page2_synthetic.html")
    fixture_server.add("GET", "/topic/43500105", file=FIXTURES / "pantip/topic_layout_changed_synthetic.html")
    options = ForumOptions(base_url=fixture_server.base_url, **{**PANTIP_SELECTORS, "next_page": ""})
    with pytest.raises(ScrapeError) as caught:
        ForumScraper("f", options, client()).fetch(None)
    assert caught.value.layout_changed and caught.value.url.endswith("/topic/43500105")


def test_a_topic_of_twenty_thousand_line_breaks_is_read_in_one_pass(fixture_server: FixtureServer) -> None:
    # Each <br> used to be replaced in the tree one by one, a search of its parent's children each time:
    # this 600 kB page took minutes (bench/parse_hostile.py). The join timeout is a hang guard, many times
    # what reading it takes now.
    page = "<html><body><h1>เน็ตหลุด</h1><article>" + "เน็ตหลุดอีกแล้ว<br>" * 20_000 + "</article></body></html>"
    fixture_server.add("GET", "/t/1", body=page, content_type="text/html; charset=utf-8")
    scraper = ForumScraper("forum", ForumOptions(base_url=fixture_server.base_url, title="h1", body="article"),
                           client())
    posts: list = []
    worker = threading.Thread(target=lambda: posts.extend(scraper.fetch_thread(fixture_server.url("/t/1"), None).posts),
                              daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive() and len(posts) == 1
    assert posts[0].text.count("\n") == 19_999 and posts[0].text.startswith("เน็ตหลุดอีกแล้ว\n")


def test_an_unchanged_listing_answered_304_is_no_news_not_a_layout_change(fixture_server: FixtureServer) -> None:
    page2 = FIXTURES / "forum/listing_page2_synthetic.html"
    fixture_server.add_sequence("GET", "/forum/mbk", [
        Answer.from_file(page2, headers={"ETag": '"v1"'}),
        Answer(status=304, headers={"ETag": '"v1"'}),
    ])
    fixture_server.add("GET", "/topic/43500105", file=FIXTURES / "pantip/topic_small_synthetic.html")
    fixture_server.add("GET", "/topic/30000000", file=FIXTURES / "pantip/topic_30000000_rendered_2019.html")
    options = ForumOptions(base_url=fixture_server.base_url, **{**PANTIP_SELECTORS, "next_page": ""})
    scraper = ForumScraper("f", options, client())
    first = scraper.fetch(None)
    assert len([p for p in first.posts if p.is_thread_start]) == 2
    again = scraper.fetch(first.cursor)  # the server says the listing has not changed
    assert again.posts == [] and again.cursor == first.cursor
    assert fixture_server.requests_to("/forum/mbk")[-1].headers.get("if-none-match") == '"v1"'


def test_backfill_hours_bounds_the_first_run_only(fixture_server: FixtureServer) -> None:
    serve(fixture_server)  # topics from 2013 and 2019: far older than a day
    options = ForumOptions(base_url=fixture_server.base_url, **{**PANTIP_SELECTORS, "backfill_hours": 24})
    first = ForumScraper("f", options, client()).fetch(None)
    assert first.posts == [] and len(first.cursor["seen"]) == 2  # read, remembered, not stored as new
    assert ForumScraper("f", options, client()).fetch(first.cursor).posts == []
