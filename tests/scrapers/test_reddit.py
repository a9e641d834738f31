"""Reddit scraper: parsers on captured listings and threads, and end to end (OAuth included) on 127.0.0.1."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.base import ScrapeError
from scrapers.reddit import RedditScraper, parse_listing, parse_thread
from tests.fixture_server import Answer
from tests.scrapers.social_support import (ALL_TIME_HOURS, fast_client, file_answer, fixture, json_answer, load,
                                           mutations, only_scrape_errors, truncations)

HOT, SEARCH = "listing_r_popular_hot_2026.json", "search_r_all_2016.json"
STREAM, THREAD = "listing_subreddit_comments_2023.json", "comments_thread_jlbw48_2022.json"


@pytest.mark.parametrize("name, n, first, kind_start, title, author, comments, after", [
    (HOT, 100, "t3_1skjxta", True, "Ulberg on Jiri showing mercy", "airplane231", 495, "t3_1skbyfv"),
    (SEARCH, 6, "t3_3gpbiu", True, "[PRAW][OAuth2Util] Problem", "dClauzel", 21, None),
    (STREAM, 100, "t1_k3yrfii", False, "<TEST_SUBREDDIT>", "Acceptable-Bread-566", None, "t1_k3uzsxu"),
])
def test_parse_listing(name, n, first, kind_start, title, author, comments, after):
    page = parse_listing(load("reddit", name), source="rd", raw_ref="u")
    post = page.posts[0]
    assert len(page.posts) == n and page.next_token == after
    assert (post.external_id, post.is_thread_start, post.author, post.kind) == (first, kind_start, author, "reddit")
    assert post.title.startswith(title) and post.engagement.comments == comments
    assert post.url.startswith("https://www.reddit.com/r/")


def test_parse_post_and_comment_fields():
    post = parse_listing(load("reddit", HOT), source="rd").posts[0]
    assert post.posted_at == datetime.fromtimestamp(1776105848, tz=timezone.utc)
    assert post.tags == ("r/MMA",) and post.engagement.likes == 546 and post.thread_id == post.external_id
    comment = parse_listing(load("reddit", STREAM), source="rd").posts[0]
    assert (comment.thread_id, comment.parent_id, comment.text) == ("t3_agi5zf", "t1_k3u4rtt", "Did it work?")


def test_parse_thread_flattens_the_tree():
    posts = parse_thread(load("reddit", THREAD), source="rd").posts
    assert [p.external_id for p in posts] == ["t3_jlbw48", "t1_gao5889", "t1_gao66g9", "t1_gao66wc", "t1_gius5s0",
                                              "t1_gt00mip", "t1_gt032vq"]
    assert posts[0].title == "Test self post" and posts[0].engagement.comments == 6
    assert posts[3].parent_id == "t1_gao66g9" and all(p.thread_id == "t3_jlbw48" for p in posts)
    assert not any(p.is_thread_start for p in posts[1:])


def test_thread_needs_two_parts():
    with pytest.raises(ScrapeError):
        parse_thread([load("reddit", SEARCH)], source="rd")


# ------------------------------------------------------------------ end to end


@pytest.fixture
def creds(monkeypatch):
    monkeypatch.setenv("RD_TEST_ID", "app-id")
    monkeypatch.setenv("RD_TEST_SECRET", "app-secret")


def scraper(server, sleeps, **kw):
    opts = RedditScraper.Options(subreddits=["Thailand"], client_id_env="RD_TEST_ID", client_secret_env="RD_TEST_SECRET",
                                 base_url=server.url(""), token_url=server.url("/api/v1/access_token"),
                                 backfill_hours=ALL_TIME_HOURS, **kw)
    return RedditScraper("rd", opts, fast_client(sleeps))


def serve(server, first: list[Answer] | None = None, token: str = "tok-1"):
    server.add("POST", "/api/v1/access_token", body=json_answer({"access_token": token, "token_type": "bearer",
                                                                 "expires_in": 86400}).body)
    server.add_sequence("GET", "/r/Thailand/new", first or [file_answer("reddit", HOT)])
    server.add("GET", "/r/Thailand/new", file=fixture("reddit", SEARCH), query={"after": "t3_1skbyfv"})


def test_oauth_then_listing_paging(fixture_server, creds):
    serve(fixture_server)
    result = scraper(fixture_server, []).fetch(None)
    assert len(result.posts) == 106 and result.pages_read == 2
    token_req = fixture_server.requests_to("/api/v1/access_token")[0]
    assert token_req.headers["authorization"] == "Basic " + base64.b64encode(b"app-id:app-secret").decode()
    assert parse_qs(token_req.body.decode()) == {"grant_type": ["client_credentials"]}
    reqs = fixture_server.requests_to("/r/Thailand/new")
    assert [r.headers["authorization"] for r in reqs] == ["Bearer tok-1"] * 2
    assert reqs[0].param("raw_json") == "1" and reqs[1].param("after") == "t3_1skbyfv"
    assert len(fixture_server.requests_to("/api/v1/access_token")) == 1  # token reused


def test_search_and_comment_stream_targets(fixture_server, creds):
    serve(fixture_server)
    fixture_server.add("GET", "/r/Thailand/search", file=fixture("reddit", SEARCH))
    fixture_server.add("GET", "/r/Thailand/comments", file=fixture("reddit", STREAM))
    fixture_server.add("GET", "/r/Thailand/comments", body=json_answer({"kind": "Listing", "data": {"children": []}}).body,
                       query={"after": "t1_k3uzsxu"})
    result = scraper(fixture_server, [], search="true move", include_comments=True).fetch(None)
    assert len(result.posts) == 106
    req = fixture_server.requests_to("/r/Thailand/search")[0]
    assert (req.param("q"), req.param("sort"), req.param("restrict_sr")) == ("true move", "new", "1")


def test_restart_in_the_middle_of_paging(fixture_server, creds):
    serve(fixture_server)
    first = scraper(fixture_server, [], max_pages=1).fetch(None)
    assert first.cursor["targets"]["/r/Thailand/new"]["resume"]["token"] == "t3_1skbyfv"
    second = scraper(fixture_server, [], max_pages=1).fetch(first.cursor)
    ids = [p.external_id for p in first.posts + second.posts]
    assert len(ids) == len(set(ids)) == 106
    assert scraper(fixture_server, []).fetch(second.cursor).posts == []


def test_expired_token_is_renewed_once(fixture_server, creds):
    serve(fixture_server, [Answer(status=401), file_answer("reddit", HOT)])
    assert len(scraper(fixture_server, []).fetch(None).posts) == 106
    assert len(fixture_server.requests_to("/api/v1/access_token")) == 2


def test_429_with_retry_after_then_success(fixture_server, creds):
    sleeps: list[float] = []
    serve(fixture_server, [Answer(status=429, headers={"Retry-After": "5"}), file_answer("reddit", HOT)])
    assert len(scraper(fixture_server, sleeps).fetch(None).posts) == 106 and 5.0 in sleeps


def test_500_then_success(fixture_server, creds):
    serve(fixture_server, [Answer(status=502), file_answer("reddit", HOT)])
    assert len(scraper(fixture_server, []).fetch(None).posts) == 106


def test_used_up_ratelimit_window_pauses(fixture_server, creds):
    serve(fixture_server, [file_answer("reddit", HOT, headers={"x-ratelimit-remaining": "0.0",
                                                               "x-ratelimit-reset": "120"})])
    result = scraper(fixture_server, []).fetch(None)
    sub = result.cursor["targets"]["/r/Thailand/new"]
    assert len(result.posts) == 100 and sub["wait_until"] > datetime.now(timezone.utc).timestamp() + 60
    assert "resume" in sub


@pytest.mark.parametrize("missing", ["RD_TEST_ID", "RD_TEST_SECRET"])
def test_missing_credential_env_names_the_variable(monkeypatch, fixture_server, creds, missing):
    monkeypatch.delenv(missing)
    with pytest.raises(ScrapeError, match=missing):
        scraper(fixture_server, [])


def test_fetch_thread(fixture_server, creds):
    serve(fixture_server)
    fixture_server.add("GET", "/comments/jlbw48", file=fixture("reddit", THREAD))
    result = scraper(fixture_server, []).fetch_thread("t3_jlbw48", None)
    assert [p.external_id for p in result.posts][:2] == ["t3_jlbw48", "t1_gao5889"] and len(result.posts) == 7
    again = scraper(fixture_server, []).fetch_thread("t3_jlbw48", result.cursor)
    assert [p.external_id for p in again.posts] == ["t3_jlbw48"]


# ------------------------------------------------------------------ robustness


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=200), truncations(fixture("reddit", SEARCH).read_bytes()[:8000]),
                 mutations(load("reddit", SEARCH))))
def test_parse_listing_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_listing(b, source="s"), body)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(truncations(fixture("reddit", THREAD).read_bytes()), mutations(load("reddit", THREAD))))
def test_parse_thread_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_thread(b, source="s"), body)
