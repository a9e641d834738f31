"""YouTube commentThreads scraper: parsers on the captured page, and end to end on 127.0.0.1."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.base import ScrapeError
from scrapers.youtube import YoutubeScraper, parse_comment_threads, parse_comments
from tests.fixture_server import Answer
from tests.scrapers.social_support import (ALL_TIME_HOURS, fast_client, fixture, json_answer, load, mutations,
                                           only_scrape_errors, truncations)

CAPTURE = "comment_threads_snippet_replies_2023.json"
DOC = load("youtube", CAPTURE)
THREAD = "UgzOpS_RRFR0IsErbS54AaABAg"
VIDEO = "XYAe15w39LQ"


def test_parse_comment_threads_counts_and_paging():
    page = parse_comment_threads(DOC, source="yt", raw_ref="u")
    starts = [p for p in page.posts if p.is_thread_start]
    replies = [p for p in page.posts if not p.is_thread_start]
    assert (len(starts), len(replies)) == (99, 88)
    assert page.next_token == DOC["nextPageToken"]
    assert all(r.parent_id == r.thread_id for r in replies)
    assert {r.thread_id for r in replies} <= {s.thread_id for s in starts}


@pytest.mark.parametrize("index, ext_id, likes, replies, author, text_start, posted", [
    (0, THREAD, 20945, 74, "Destry Lefebre", "I found an employee", datetime(2023, 2, 24, 22, 36, 48)),
    (1, "UgzOpS_RRFR0IsErbS54AaABAg.9mXUPHCOyA_9mm54_jMah7", 0, None, "souc 🩸", "@HellBentt oh no",
     datetime(2023, 3, 3, 0, 3, 22)),
])
def test_parse_comment_fields(index, ext_id, likes, replies, author, text_start, posted):
    post = parse_comment_threads(DOC, source="yt").posts[index]
    assert (post.external_id, post.thread_id, post.kind) == (ext_id, THREAD, "youtube")
    assert (post.engagement.likes, post.engagement.comments, post.author) == (likes, replies, author)
    assert post.text.startswith(text_start)
    assert post.posted_at == posted.replace(tzinfo=timezone.utc)
    assert post.url == f"https://www.youtube.com/watch?v={VIDEO}&lc={ext_id}"
    assert post.tags == (f"video:{VIDEO}",)


def test_html_text_display_is_the_fallback():
    item = DOC["items"][0]["snippet"]["topLevelComment"]
    snippet = {**item["snippet"], "textOriginal": None, "textDisplay": "bad &amp; <b>slow</b><br>refund"}
    post = parse_comments({"items": [{**item, "snippet": snippet}]}, source="yt", thread_id=THREAD).posts[0]
    assert post.text == "bad & slow\nrefund"


def test_parse_comments_list_replies():
    replies = DOC["items"][0]["replies"]["comments"]
    page = parse_comments({"items": replies, "nextPageToken": "N"}, source="yt", thread_id=THREAD)
    assert len(page.posts) == 5 and page.next_token == "N"
    assert all(p.parent_id == THREAD and not p.is_thread_start for p in page.posts)


# ------------------------------------------------------------------ end to end

# The capture was requested with order=relevance; the scraper asks for order=time, so the served
# pages hold the same threads newest first.
BY_TIME = sorted(DOC["items"], key=lambda i: i["snippet"]["topLevelComment"]["snippet"]["publishedAt"], reverse=True)
PAGE1 = {**DOC, "items": BY_TIME[:50], "nextPageToken": "P2"}
PAGE2 = {**{k: v for k, v in DOC.items() if k != "nextPageToken"}, "items": BY_TIME[50:]}


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("YT_TEST_KEY", "yt-key-1")


def scraper(server, sleeps, **kw):
    opts = YoutubeScraper.Options(video_ids=[VIDEO], key_env="YT_TEST_KEY", base_url=server.url("/youtube/v3"),
                                  backfill_hours=ALL_TIME_HOURS, **kw)
    return YoutubeScraper("yt-brand", opts, fast_client(sleeps))


def serve(server, first: list[Answer] | None = None):
    server.add_sequence("GET", "/youtube/v3/commentThreads", first or [json_answer(PAGE1)])
    server.add("GET", "/youtube/v3/commentThreads", body=json_answer(PAGE2).body, query={"pageToken": "P2"})


def test_fetch_follows_page_token_with_key_header(fixture_server, key):
    serve(fixture_server)
    result = scraper(fixture_server, []).fetch(None)
    assert len([p for p in result.posts if p.is_thread_start]) == 99 and result.pages_read == 2
    reqs = fixture_server.requests_to("/youtube/v3/commentThreads")
    assert [r.headers["x-goog-api-key"] for r in reqs] == ["yt-key-1"] * 2
    assert reqs[0].param("videoId") == VIDEO and reqs[0].param("order") == "time"
    assert reqs[0].param("part") == "snippet,replies" and reqs[0].param("key") is None
    assert reqs[1].param("pageToken") == "P2"


def test_channel_target_uses_all_threads_related(fixture_server, key):
    serve(fixture_server)
    opts = YoutubeScraper.Options(channel_ids=["UCbrand"], key_env="YT_TEST_KEY",
                                  base_url=fixture_server.url("/youtube/v3"), backfill_hours=ALL_TIME_HOURS)
    YoutubeScraper("yt", opts, fast_client([])).fetch(None)
    assert fixture_server.requests[0].param("allThreadsRelatedToChannelId") == "UCbrand"


def test_restart_in_the_middle_of_paging(fixture_server, key):
    serve(fixture_server)
    first = scraper(fixture_server, [], max_pages=1).fetch(None)
    assert first.cursor["targets"][f"video:{VIDEO}"]["resume"]["token"] == "P2"
    second = scraper(fixture_server, [], max_pages=1).fetch(first.cursor)
    ids = [p.external_id for p in first.posts + second.posts]
    assert len(ids) == len(set(ids)) == 99 + 88
    third = scraper(fixture_server, []).fetch(second.cursor)
    assert third.posts == [] and third.pages_read == 1


def test_429_with_retry_after_then_success(fixture_server, key):
    sleeps: list[float] = []
    serve(fixture_server, [Answer(status=429, headers={"Retry-After": "2"}), json_answer(PAGE1)])
    assert len(scraper(fixture_server, sleeps).fetch(None).posts) == 99 + 88 and 2.0 in sleeps


def test_500_then_success(fixture_server, key):
    serve(fixture_server, [Answer(status=503), json_answer(PAGE1)])
    assert len(scraper(fixture_server, []).fetch(None).posts) == 99 + 88


def test_missing_key_env_names_the_variable(monkeypatch, fixture_server):
    monkeypatch.delenv("YT_TEST_KEY", raising=False)
    with pytest.raises(ScrapeError, match="YT_TEST_KEY"):
        scraper(fixture_server, [])


def test_fetch_thread_reads_all_replies(fixture_server, key):
    fixture_server.add("GET", "/youtube/v3/commentThreads", body=json_answer({"items": DOC["items"][:1]}).body,
                       query={"id": THREAD})
    replies = DOC["items"][0]["replies"]["comments"]
    fixture_server.add("GET", "/youtube/v3/comments", body=json_answer({"items": replies[:3],
                                                                       "nextPageToken": "R2"}).body)
    fixture_server.add("GET", "/youtube/v3/comments", body=json_answer({"items": replies[3:]}).body,
                       query={"pageToken": "R2"})
    result = scraper(fixture_server, []).fetch_thread(THREAD, None)
    assert result.posts[0].external_id == THREAD and result.posts[0].engagement.comments == 74
    assert len(result.posts) == 6
    assert fixture_server.requests_to("/youtube/v3/comments")[0].param("parentId") == THREAD
    again = scraper(fixture_server, []).fetch_thread(THREAD, result.cursor)
    assert [p.external_id for p in again.posts] == [THREAD]


# ------------------------------------------------------------------ robustness


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=200), truncations(fixture("youtube", CAPTURE).read_bytes()[:20000]),
                 mutations({**DOC, "items": DOC["items"][:3]})))
def test_parse_comment_threads_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_comment_threads(b, source="s"), body)
