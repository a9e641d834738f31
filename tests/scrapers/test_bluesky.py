"""Bluesky scraper: parsers on captured answers, and end to end (session login included) on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.base import ScrapeError
from scrapers.bluesky import BlueskyScraper, parse_search, parse_thread
from tests.fixture_server import Answer
from tests.scrapers.social_support import (ALL_TIME_HOURS, fast_client, file_answer, fixture, json_answer, load,
                                           mutations, only_scrape_errors, truncations)

SEARCH, THREAD = "search_posts_redistricting_2025.json", "get_post_thread_2025.json"
X = "/xrpc/"
ROOT = "at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s"


@pytest.mark.parametrize("index, uri_end, author, lang, thread_end, likes, shares, posted", [
    (0, "3lpk2u6qo222m", "socpaperbot.bsky.social", None, "3lpk2u6qo222m", 0, 0,
     datetime(2025, 5, 19, 17, 10, 9, 561858)),
    (1, "3lpk2r5h5ec2j", "cjtackett.bsky.social", "en", "3lpk2r5h5ec2j", 4, 3, datetime(2025, 5, 19, 17, 8, 27, 677000)),
    (2, "3lpjzka2pzc2l", "mcpli.bsky.social", "en", "3lpjy3eabqs2l", 2, 0, datetime(2025, 5, 19, 16, 46, 41, 792000)),
])
def test_parse_search(index, uri_end, author, lang, thread_end, likes, shares, posted):
    page = parse_search(load("bluesky", SEARCH), source="bs", raw_ref="u")
    assert len(page.posts) == 25 and page.next_token == "25"
    post = page.posts[index]
    assert post.external_id.endswith(uri_end) and post.thread_id.endswith(thread_end)
    assert (post.author, post.lang, post.engagement.likes, post.engagement.shares) == (author, lang, likes, shares)
    assert post.posted_at == posted.replace(tzinfo=timezone.utc)
    assert post.url == f"https://bsky.app/profile/{author}/post/{uri_end}"
    assert post.is_thread_start == (thread_end == uri_end)


def test_parse_thread_flattens_replies():
    doc = load("bluesky", THREAD)
    assert [p.external_id for p in parse_thread(doc, source="bs").posts] == [ROOT]
    reply_view = load("bluesky", SEARCH)["posts"][2]
    doc["thread"]["replies"] = [{"post": reply_view, "replies": [{"post": reply_view}]},
                                {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://x"}]
    posts = parse_thread(doc, source="bs").posts
    assert len(posts) == 3 and posts[0].text.startswith("Excited to be a speaker")


def test_thread_without_post_is_an_error():
    with pytest.raises(ScrapeError):
        parse_thread({"thread": {"$type": "app.bsky.feed.defs#notFoundPost"}}, source="bs")


# ------------------------------------------------------------------ end to end

PAGE2 = {"posts": [load("bluesky", THREAD)["thread"]["post"]]}
SESSION = {"accessJwt": "jwt-a", "refreshJwt": "jwt-r", "handle": "brand.bsky.social", "did": "did:plc:brand"}


@pytest.fixture
def login(monkeypatch):
    monkeypatch.setenv("BS_TEST_HANDLE", "brand.bsky.social")
    monkeypatch.setenv("BS_TEST_PASSWORD", "app-pass-1234")


def scraper(server, sleeps, **kw):
    opts = BlueskyScraper.Options(query="redistricting", handle_env="BS_TEST_HANDLE", app_password_env="BS_TEST_PASSWORD",
                                  base_url=server.url(""), backfill_hours=ALL_TIME_HOURS, **kw)
    return BlueskyScraper("bs", opts, fast_client(sleeps))


def serve(server, first: list[Answer] | None = None):
    server.add("POST", X + "com.atproto.server.createSession", body=json.dumps(SESSION))
    server.add_sequence("GET", X + "app.bsky.feed.searchPosts", first or [file_answer("bluesky", SEARCH)])
    server.add("GET", X + "app.bsky.feed.searchPosts", body=json.dumps(PAGE2), query={"cursor": "25"})


def test_login_then_search_paging(fixture_server, login):
    serve(fixture_server)
    result = scraper(fixture_server, []).fetch(None)
    assert len(result.posts) == 26 and result.pages_read == 2
    session = fixture_server.requests_to(X + "com.atproto.server.createSession")
    assert len(session) == 1
    assert json.loads(session[0].body) == {"identifier": "brand.bsky.social", "password": "app-pass-1234"}
    reqs = fixture_server.requests_to(X + "app.bsky.feed.searchPosts")
    assert [r.headers["authorization"] for r in reqs] == ["Bearer jwt-a"] * 2
    assert (reqs[0].param("q"), reqs[0].param("sort"), reqs[1].param("cursor")) == ("redistricting", "latest", "25")


def test_restart_in_the_middle_of_paging(fixture_server, login):
    serve(fixture_server)
    first = scraper(fixture_server, [], max_pages=1).fetch(None)
    assert first.cursor["resume"]["token"] == "25"
    second = scraper(fixture_server, [], max_pages=1).fetch(first.cursor)
    ids = [p.external_id for p in first.posts + second.posts]
    assert len(ids) == len(set(ids)) == 26
    assert scraper(fixture_server, []).fetch(second.cursor).posts == []
    assert fixture_server.requests_to(X + "app.bsky.feed.searchPosts")[-1].param("since") == "2025-05-19T17:10:09.000Z"


def test_expired_access_token_is_refreshed(fixture_server, login):
    serve(fixture_server, [Answer(status=400, body=b'{"error":"ExpiredToken","message":"Token has expired"}'),
                           file_answer("bluesky", SEARCH)])
    fixture_server.add("POST", X + "com.atproto.server.refreshSession", body=json.dumps({**SESSION, "accessJwt": "jwt-b"}))
    assert len(scraper(fixture_server, []).fetch(None).posts) == 26
    refresh = fixture_server.requests_to(X + "com.atproto.server.refreshSession")[0]
    assert refresh.headers["authorization"] == "Bearer jwt-r"
    assert fixture_server.requests_to(X + "app.bsky.feed.searchPosts")[-1].headers["authorization"] == "Bearer jwt-b"


def test_429_with_retry_after_then_success(fixture_server, login):
    sleeps: list[float] = []
    serve(fixture_server, [Answer(status=429, headers={"Retry-After": "6"}), file_answer("bluesky", SEARCH)])
    assert len(scraper(fixture_server, sleeps).fetch(None).posts) == 26 and 6.0 in sleeps


def test_500_then_success(fixture_server, login):
    serve(fixture_server, [Answer(status=500), file_answer("bluesky", SEARCH)])
    assert len(scraper(fixture_server, []).fetch(None).posts) == 26


def test_used_up_ratelimit_pauses(fixture_server, login):
    serve(fixture_server, [file_answer("bluesky", SEARCH, headers={"RateLimit-Remaining": "0",
                                                                   "RateLimit-Reset": "4102444800"})])
    cursor = scraper(fixture_server, []).fetch(None).cursor
    assert cursor["wait_until"] == 4102444800 and cursor["resume"]["token"] == "25"


@pytest.mark.parametrize("missing", ["BS_TEST_HANDLE", "BS_TEST_PASSWORD"])
def test_missing_credential_env_names_the_variable(monkeypatch, fixture_server, login, missing):
    monkeypatch.delenv(missing)
    with pytest.raises(ScrapeError, match=missing):
        scraper(fixture_server, [])


def test_fetch_thread(fixture_server, login):
    serve(fixture_server)
    fixture_server.add("GET", X + "app.bsky.feed.getPostThread", file=fixture("bluesky", THREAD))
    result = scraper(fixture_server, []).fetch_thread(ROOT, None)
    assert [p.external_id for p in result.posts] == [ROOT] and result.posts[0].engagement.likes == 4
    assert fixture_server.requests_to(X + "app.bsky.feed.getPostThread")[0].param("uri") == ROOT


# ------------------------------------------------------------------ robustness


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=200), truncations(fixture("bluesky", SEARCH).read_bytes()[:6000]),
                 mutations({"posts": load("bluesky", SEARCH)["posts"][:3], "cursor": "25"})))
def test_parse_search_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_search(b, source="s"), body)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(truncations(fixture("bluesky", THREAD).read_bytes()), mutations(load("bluesky", THREAD))))
def test_parse_thread_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_thread(b, source="s"), body)
