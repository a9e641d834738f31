"""X recent-search scraper: parsers on captured pages, and end to end on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.base import ScrapeError
from scrapers.x import XScraper, parse_search
from tests.fixture_server import Answer
from tests.scrapers.social_support import (fast_client, file_answer, fixture, load, mutations, only_scrape_errors,
                                           truncations)

P1, P2 = "search_recent_expanded_page1_2020.json", "search_recent_expanded_page2_2020.json"
MINIMAL = "search_recent_minimal_tweepy_2022.json"
SEARCH = "/2/tweets/search/recent"
# The captures are from 27 Nov 2020; the endpoint only covers 7 days, so the tests live then.
CAPTURE_DAY = datetime(2020, 11, 27, 18, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("name, n, first_id, posted, lang, author, next_token", [
    (P1, 10, "1332344846833639425", datetime(2020, 11, 27, 15, 25, 39), "en", "@stmanfr",
     "b26v89c19zqg8o3fosesr6z0c2eac8nalgxjenpv5qjy5"),
    (P2, 10, "1332344823462965250", datetime(2020, 11, 27, 15, 25, 34), "en", None, None),
    (MINIMAL, 10, "1578516068309794817", datetime(2022, 10, 7, 22, 42, 12, 752000), None, None,
     "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"),
])
def test_parse_search(name, n, first_id, posted, lang, author, next_token):
    page = parse_search(load("x", name), source="x-brand", raw_ref="u")
    first = page.posts[0]
    assert len(page.posts) == n and page.next_token == next_token
    assert (first.external_id, first.kind, first.lang) == (first_id, "x", lang)
    # The minimal payload has no created_at: the time comes from the snowflake id.
    assert first.posted_at == posted.replace(tzinfo=timezone.utc)
    if author:
        assert first.author == author and first.url == f"https://x.com/stmanfr/status/{first_id}"


def test_parse_reply_metrics_and_entities():
    posts = parse_search(load("x", P1), source="s").posts
    reply = posts[1]
    assert (reply.thread_id, reply.parent_id, reply.is_thread_start) == (
        "1332275234037182464", "1332344473620189185", False)
    assert posts[0].is_thread_start and posts[0].thread_id == posts[0].external_id
    assert posts[0].engagement.shares == 1 and posts[0].engagement.comments == 0
    assert "#art & #science" in posts[0].text  # &amp; unescaped


def test_empty_result_has_no_data_key():
    page = parse_search({"meta": {"result_count": 0}}, source="s")
    assert page.posts == [] and page.next_token is None


# ------------------------------------------------------------------ end to end


@pytest.fixture
def bearer(monkeypatch):
    monkeypatch.setenv("X_TEST_BEARER", "x-bearer-9")


@pytest.fixture(autouse=True)
def capture_day():
    with time_machine.travel(CAPTURE_DAY, tick=True):
        yield


def scraper(server, sleeps, **kw):
    opts = XScraper.Options(query="science", bearer_env="X_TEST_BEARER", base_url=server.url(""),
                            backfill_hours=24, **kw)
    return XScraper("x-brand", opts, fast_client(sleeps))


def serve(server, first: list[Answer] | None = None):
    server.add_sequence("GET", SEARCH, first or [file_answer("x", P1)])
    server.add("GET", SEARCH, file=fixture("x", P2), query={"next_token": load("x", P1)["meta"]["next_token"]})


def test_fetch_pages_with_bearer_and_fields(fixture_server, bearer):
    serve(fixture_server)
    result = scraper(fixture_server, []).fetch(None)
    assert len(result.posts) == 20 and result.pages_read == 2
    reqs = fixture_server.requests_to(SEARCH)
    assert [r.headers["authorization"] for r in reqs] == ["Bearer x-bearer-9"] * 2
    assert reqs[0].param("query") == "(science) -is:retweet"
    assert "public_metrics" in reqs[0].param("tweet.fields") and reqs[0].param("expansions") == "author_id"
    assert reqs[0].param("start_time") == "2020-11-26T18:00:00Z" and reqs[0].param("since_id") is None
    assert result.cursor["mark"]["newest_id"] == "1332344846833639425"


def test_restart_in_the_middle_then_since_id(fixture_server, bearer):
    serve(fixture_server)
    first = scraper(fixture_server, [], max_pages=1).fetch(None)
    second = scraper(fixture_server, [], max_pages=1).fetch(first.cursor)
    ids = [p.external_id for p in first.posts + second.posts]
    assert len(ids) == len(set(ids)) == 20
    third = scraper(fixture_server, []).fetch(second.cursor)
    assert third.posts == []
    assert fixture_server.requests_to(SEARCH)[-1].param("since_id") == "1332344846833639425"


def test_after_a_long_outage_start_time_replaces_since_id(fixture_server, bearer):
    serve(fixture_server)
    done = scraper(fixture_server, []).fetch(None)
    with time_machine.travel(datetime(2020, 12, 10, tzinfo=timezone.utc), tick=False):
        scraper(fixture_server, []).fetch(done.cursor)
    last = fixture_server.requests_to(SEARCH)[-1]
    assert last.param("since_id") is None and last.param("start_time") == "2020-12-03T00:05:00Z"


def test_exhausted_rate_limit_window_pauses_and_resumes(fixture_server, bearer):
    reset = int(CAPTURE_DAY.timestamp()) + 600
    serve(fixture_server, [file_answer("x", P1, headers={"x-rate-limit-remaining": "0",
                                                          "x-rate-limit-reset": str(reset)})])
    first = scraper(fixture_server, []).fetch(None)
    assert len(first.posts) == 10 and first.cursor["wait_until"] == reset and "resume" in first.cursor
    waiting = scraper(fixture_server, []).fetch(first.cursor)
    assert waiting.posts == [] and len(fixture_server.requests_to(SEARCH)) == 1
    with time_machine.travel(reset + 1):
        later = scraper(fixture_server, []).fetch(first.cursor)
    assert len(later.posts) == 10 and "resume" not in later.cursor


def test_429_with_retry_after_then_success(fixture_server, bearer):
    sleeps: list[float] = []
    serve(fixture_server, [Answer(status=429, headers={"Retry-After": "4"}), file_answer("x", P1)])
    assert len(scraper(fixture_server, sleeps).fetch(None).posts) == 20 and 4.0 in sleeps


def test_500_then_success(fixture_server, bearer):
    serve(fixture_server, [Answer(status=500), file_answer("x", P1)])
    assert len(scraper(fixture_server, []).fetch(None).posts) == 20


def test_missing_bearer_env_names_the_variable(monkeypatch, fixture_server):
    monkeypatch.delenv("X_TEST_BEARER", raising=False)
    with pytest.raises(ScrapeError, match="X_TEST_BEARER"):
        scraper(fixture_server, [])


def test_fetch_thread_searches_the_conversation(fixture_server, bearer):
    doc = load("x", P1)
    root = {"data": [doc["data"][0]], "includes": doc["includes"]}
    fixture_server.add("GET", "/2/tweets", body=json.dumps(root))
    fixture_server.add("GET", SEARCH, file=fixture("x", P2))
    result = scraper(fixture_server, []).fetch_thread("1332344846833639425", None)
    assert result.posts[0].external_id == "1332344846833639425" and len(result.posts) == 11
    assert fixture_server.requests_to(SEARCH)[0].param("query") == "conversation_id:1332344846833639425"
    assert fixture_server.requests_to("/2/tweets")[0].param("ids") == "1332344846833639425"


# ------------------------------------------------------------------ robustness


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          deadline=None)
@given(st.one_of(st.binary(max_size=200), truncations(fixture("x", P1).read_bytes()), mutations(load("x", P1)),
                 mutations(load("x", MINIMAL))))
def test_parse_search_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_search(b, source="s"), body)
