"""Mastodon scraper: parsers on captured statuses, and end to end on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.base import ScrapeError
from scrapers.mastodon import MastodonScraper, parse_context, parse_search, parse_status, parse_statuses
from tests.fixture_server import Answer
from tests.scrapers.social_support import (ALL_TIME_HOURS, fast_client, fixture, json_answer, load, mutations,
                                           only_scrape_errors, truncations)

DOCS, REAL = "status_entity_example_docs.json", "status_mastodon_social_2026.json"
CONTEXT, SEARCH, TAG = "status_context_mastodon_social_2026.json", "search_v2_mastodon_social_2026.json", \
    "timeline_tag_localhost_2026.json"


@pytest.mark.parametrize("name, ext_id, author, lang, title, text_start, replies, likes, shares, posted", [
    (DOCS, "103270115826048975", "Gargron", "en", "", '"I lost my inheritance with one wrong digit', 5, 11, 8,
     datetime(2019, 12, 8, 3, 48, 33, 901000)),
    (REAL, "110446223051565765", "halcy@icosahedron.website", "de", "test post for mastodon.py stuff",
     "@halcy you're a doo-doo head", 0, 1, 0, datetime(2023, 5, 28, 12, 6, 50)),
])
def test_parse_status(name, ext_id, author, lang, title, text_start, replies, likes, shares, posted):
    post = parse_status(load("mastodon", name), source="md", raw_ref="u")
    assert (post.external_id, post.thread_id, post.author, post.lang, post.title) == (ext_id, ext_id, author, lang, title)
    assert post.text.startswith(text_start) and "<" not in post.text
    e = post.engagement
    assert (e.comments, e.likes, e.shares) == (replies, likes, shares)
    assert post.posted_at == posted.replace(tzinfo=timezone.utc) and post.is_thread_start


def test_paragraphs_stay_apart_and_tags_are_kept():
    post = parse_status(load("mastodon", REAL), source="md")
    assert post.text.splitlines()[1].startswith("edit: editing this")
    assert post.tags == ("#thisisahashtag",)
    assert post.url == "https://icosahedron.website/@halcy/110446222386355655"


def test_parse_timeline_search_and_context():
    tag = parse_statuses(load("mastodon", TAG), source="md").posts
    assert [(p.external_id, p.text, p.lang) for p in tag] == [("117020593741189701", "#hoot (hashtag toot)", "ja")]
    found = parse_search(load("mastodon", SEARCH), source="md").posts
    assert [p.external_id for p in found] == ["116388149027005349", "116388107849695302"]
    assert found[0].parent_id == "116387888508422624" and not found[0].is_thread_start
    context = parse_context(load("mastodon", CONTEXT), source="md", thread_id="110446983926957470").posts
    assert [(p.external_id, p.text, p.thread_id, p.is_thread_start) for p in context] == [
        ("110446984249325790", "final status", "110446983926957470", False)]


def test_boost_reads_as_the_boosted_status():
    boost = {**load("mastodon", DOCS), "id": "999", "reblog": load("mastodon", REAL)}
    assert parse_status(boost, source="md").external_id == "110446223051565765"


# ------------------------------------------------------------------ end to end

TAG_PATH = "/api/v1/timelines/tag/brand"
PAGE1 = load("mastodon", SEARCH)["statuses"]
PAGE2 = [load("mastodon", REAL), load("mastodon", DOCS)]


def scraper(server, sleeps, **kw):
    kw.setdefault("tags", ["brand"])
    opts = MastodonScraper.Options(base_url=server.url(""), backfill_hours=ALL_TIME_HOURS, **kw)
    return MastodonScraper("md", opts, fast_client(sleeps))


def page1(headers: dict[str, str] | None = None) -> Answer:
    link = f'<http://x{TAG_PATH}?max_id=116388107849695302>; rel="next", <http://x{TAG_PATH}?min_id=1>; rel="prev"'
    return json_answer(PAGE1, headers={"Link": link, **(headers or {})})


def serve(server, first: list[Answer] | None = None):
    server.add_sequence("GET", TAG_PATH, first or [page1()])
    server.add("GET", TAG_PATH, body=json.dumps(PAGE2), query={"max_id": "116388107849695302"})


def test_tag_timeline_follows_link_header(fixture_server):
    serve(fixture_server)
    result = scraper(fixture_server, []).fetch(None)
    assert len(result.posts) == 4 and result.pages_read == 2
    reqs = fixture_server.requests_to(TAG_PATH)
    assert reqs[1].param("max_id") == "116388107849695302" and "authorization" not in reqs[0].headers


def test_token_is_sent_when_configured(fixture_server, monkeypatch):
    monkeypatch.setenv("MD_TEST_TOKEN", "md-tok")
    serve(fixture_server)
    scraper(fixture_server, [], token_env="MD_TEST_TOKEN").fetch(None)
    assert fixture_server.requests_to(TAG_PATH)[0].headers["authorization"] == "Bearer md-tok"


def test_restart_in_the_middle_then_since_id(fixture_server):
    serve(fixture_server)
    first = scraper(fixture_server, [], max_pages=1).fetch(None)
    second = scraper(fixture_server, [], max_pages=1).fetch(first.cursor)
    ids = [p.external_id for p in first.posts + second.posts]
    assert len(ids) == len(set(ids)) == 4
    assert scraper(fixture_server, []).fetch(second.cursor).posts == []
    assert fixture_server.requests_to(TAG_PATH)[-1].param("since_id") == "116388149027005349"


def test_search_needs_and_sends_token(fixture_server, monkeypatch):
    with pytest.raises(ScrapeError, match="token"):
        scraper(fixture_server, [], search="truemove")
    monkeypatch.setenv("MD_TEST_TOKEN", "md-tok")
    fixture_server.add("GET", "/api/v2/search", file=fixture("mastodon", SEARCH))
    result = scraper(fixture_server, [], tags=[], search="truemove", token_env="MD_TEST_TOKEN").fetch(None)
    assert len(result.posts) == 2
    req = fixture_server.requests_to("/api/v2/search")[0]
    assert (req.param("q"), req.param("type"), req.headers["authorization"]) == ("truemove", "statuses", "Bearer md-tok")


def test_missing_token_env_names_the_variable(fixture_server, monkeypatch):
    monkeypatch.delenv("MD_TEST_TOKEN", raising=False)
    with pytest.raises(ScrapeError, match="MD_TEST_TOKEN"):
        scraper(fixture_server, [], token_env="MD_TEST_TOKEN")


def test_429_with_retry_after_then_success(fixture_server):
    sleeps: list[float] = []
    serve(fixture_server, [Answer(status=429, headers={"Retry-After": "2"}), page1()])
    assert len(scraper(fixture_server, sleeps).fetch(None).posts) == 4 and 2.0 in sleeps


def test_500_then_success(fixture_server):
    serve(fixture_server, [Answer(status=500), page1()])
    assert len(scraper(fixture_server, []).fetch(None).posts) == 4


def test_used_up_ratelimit_pauses(fixture_server):
    serve(fixture_server, [page1({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2099-01-01T00:00:00.000Z"})])
    sub = scraper(fixture_server, []).fetch(None).cursor["targets"]["tag:brand"]
    assert sub["wait_until"] == datetime(2099, 1, 1, tzinfo=timezone.utc).timestamp() and "resume" in sub


def test_fetch_thread_reads_status_and_context(fixture_server):
    fixture_server.add("GET", "/api/v1/statuses/110446983926957470", file=fixture("mastodon", REAL))
    fixture_server.add("GET", "/api/v1/statuses/110446983926957470/context", file=fixture("mastodon", CONTEXT))
    result = scraper(fixture_server, []).fetch_thread("110446983926957470", None)
    assert [p.external_id for p in result.posts] == ["110446223051565765", "110446984249325790"]
    again = scraper(fixture_server, []).fetch_thread("110446983926957470", result.cursor)
    assert len(again.posts) == 1


# ------------------------------------------------------------------ robustness


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=200), truncations(fixture("mastodon", REAL).read_bytes()),
                 mutations([load("mastodon", REAL)]), mutations([load("mastodon", DOCS)])))
def test_parse_statuses_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_statuses(b, source="s"), body)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(truncations(fixture("mastodon", CONTEXT).read_bytes()), mutations(load("mastodon", CONTEXT)),
                 mutations(load("mastodon", SEARCH))))
def test_parse_context_and_search_raise_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_context(b, source="s", thread_id="1"), body)
    only_scrape_errors(lambda b: parse_search(b, source="s"), body)
