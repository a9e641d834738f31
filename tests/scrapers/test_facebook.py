"""Facebook Graph scraper: parsers on captured pages, and end to end over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.base import ScrapeError
from scrapers.facebook import FacebookScraper, parse_comments, parse_feed
from scrapers.http import FetchError
from tests.fixture_server import Answer
from tests.scrapers.social_support import (ALL_TIME_HOURS, fast_client, file_answer, fixture, load, mutations,
                                           only_scrape_errors, truncations)

P1, P2 = "page_feed_fields_reactions_p1_2021.json", "page_feed_fields_reactions_p2_2021.json"
C1, C2 = "post_comments_p1_2021.json", "post_comments_p2_2021.json"
MINIMAL = "page_posts_minimal_fields_p1_2021.json"
PAGE, POST = "19292868552", "19292868552_10158407654328553"


@pytest.mark.parametrize("name, n, first_id, comments, reactions, likes, shares, love, after", [
    (P1, 5, "19292868552_10158349356748553", 13, 125, 119, 10, 6, "after"),
    (P2, 5, "19292868552_10158331020098553", 23, 157, 144, 17, 9, None),
    (MINIMAL, 5, "4_10113477241177441", None, None, None, None, None, None),
])
def test_parse_feed(name, n, first_id, comments, reactions, likes, shares, love, after):
    page = parse_feed(load("facebook", name), source="fb-brand", raw_ref="u")
    first = page.posts[0]
    assert len(page.posts) == n and page.next_token == after
    assert (first.external_id, first.thread_id, first.kind, first.source) == (first_id, first_id, "facebook", "fb-brand")
    assert first.is_thread_start and first.parent_id is None
    assert first.posted_at.tzinfo is not None and first.posted_at.utcoffset().total_seconds() == 0
    e = first.engagement
    assert (e.comments, e.reactions, e.likes, e.shares) == (comments, reactions, likes, shares)
    assert dict(e.reaction_kinds).get("love") == love
    assert first.text


def test_parse_feed_fields():
    post = parse_feed(load("facebook", P1), source="s").posts[0]
    assert post.url == "https://www.facebook.com/19292868552/posts/10158349356748553/"
    assert post.posted_at == datetime(2021, 7, 9, 19, 9, 52, tzinfo=timezone.utc)
    assert post.text.startswith("Singaporean logistics company Ninja Van")
    assert post.author == "19292868552"  # no `from` requested: the Page itself


@pytest.mark.parametrize("name, n, first_id, first_parent, reply_id, reply_parent", [
    (C1, 10, "10158407835073553", POST, "10158409983033553", "10158407903973553"),
    (C2, 5, "10158412899928553", POST, "10158413660043553", "10158412899928553"),
])
def test_parse_comments(name, n, first_id, first_parent, reply_id, reply_parent):
    page = parse_comments(load("facebook", name), source="s", post_id=POST)
    by_id = {p.external_id: p for p in page.posts}
    assert len(page.posts) == n == len(by_id)
    first = page.posts[0]
    assert (first.external_id, first.parent_id, first.thread_id) == (first_id, first_parent, POST)
    assert not first.is_thread_start
    assert by_id[reply_id].parent_id == reply_parent
    assert page.extra["total"] == 18


def test_parse_comment_counts():
    page = parse_comments(load("facebook", C1), source="s", post_id=POST)
    second = page.posts[1]
    assert second.engagement.comments == 2 and second.engagement.likes == 0
    assert "business Instagram back" in second.text
    assert page.next_token == "after"


# ------------------------------------------------------------------ end to end


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("FB_TEST_TOKEN", "page-token-123")


def scraper(server, sleeps, **kw):
    opts = FacebookScraper.Options(page_ids=[PAGE], token_env="FB_TEST_TOKEN", base_url=server.url("/v19.0"),
                                   backfill_hours=ALL_TIME_HOURS, **kw)
    return FacebookScraper("fb-brand", opts, fast_client(sleeps))


def serve_feed(server, first: list[Answer] | None = None):
    server.add_sequence("GET", f"/v19.0/{PAGE}/feed", first or [file_answer("facebook", P1)])
    server.add("GET", f"/v19.0/{PAGE}/feed", file=fixture("facebook", P2), query={"after": "after"})


def test_fetch_follows_paging_with_auth_header(fixture_server, token):
    serve_feed(fixture_server)
    result = scraper(fixture_server, []).fetch(None)
    assert len(result.posts) == 10 and result.pages_read == 2
    reqs = fixture_server.requests_to(f"/v19.0/{PAGE}/feed")
    assert [r.headers["authorization"] for r in reqs] == ["Bearer page-token-123"] * 2
    assert "access_token" not in reqs[0].query and "reactions.type(LOVE)" in reqs[0].param("fields")
    assert reqs[1].param("after") == "after"
    assert result.cursor["targets"][PAGE]["mark"]["ids"] == ["19292868552_10158349356748553"]


def test_restart_in_the_middle_of_paging(fixture_server, token):
    serve_feed(fixture_server)
    first = scraper(fixture_server, [], max_pages=1).fetch(None)
    assert [p.external_id for p in first.posts][0] == "19292868552_10158349356748553"
    assert first.cursor["targets"][PAGE]["resume"]["token"] == "after"
    # A new process with the stored cursor continues on the next page: no repeat, no gap.
    second = scraper(fixture_server, [], max_pages=1).fetch(first.cursor)
    ids = [p.external_id for p in first.posts + second.posts]
    assert len(ids) == len(set(ids)) == 10
    assert "resume" not in second.cursor["targets"][PAGE]
    third = scraper(fixture_server, []).fetch(second.cursor)
    assert third.posts == []
    last = fixture_server.requests_to(f"/v19.0/{PAGE}/feed")[-1]
    assert last.param("since") == str(int(datetime(2021, 7, 9, 19, 9, 52, tzinfo=timezone.utc).timestamp()))


def test_429_with_retry_after_then_success(fixture_server, token):
    sleeps: list[float] = []
    serve_feed(fixture_server, [Answer(status=429, headers={"Retry-After": "3"}), file_answer("facebook", P1)])
    result = scraper(fixture_server, sleeps).fetch(None)
    assert len(result.posts) == 10 and 3.0 in sleeps


def test_500_then_success(fixture_server, token):
    serve_feed(fixture_server, [Answer(status=500), file_answer("facebook", P1)])
    assert len(scraper(fixture_server, []).fetch(None).posts) == 10


def test_bad_token_is_a_fetch_error(fixture_server, token):
    fixture_server.add("GET", f"/v19.0/{PAGE}/feed", status=400, body=b'{"error":{"code":190}}')
    with pytest.raises(FetchError):
        scraper(fixture_server, []).fetch(None)


def test_missing_token_env_names_the_variable(monkeypatch, fixture_server):
    monkeypatch.delenv("FB_TEST_TOKEN", raising=False)
    with pytest.raises(ScrapeError, match="FB_TEST_TOKEN"):
        scraper(fixture_server, [])


def test_fetch_thread_reads_post_and_comment_pages(fixture_server, token):
    fixture_server.add("GET", f"/v19.0/{POST}", body=fixture("facebook", P1).read_text()
                       .split('"data":[', 1)[1].split(',{"id":"19292868552_10158347294088553"', 1)[0]
                       .replace('"id":"19292868552_10158349356748553"', f'"id":"{POST}"'))
    # The captures were read oldest first; the scraper asks for reverse_chronological, so the served
    # pages hold the same 15 comments newest first.
    newest_first = list(reversed(load("facebook", C1)["data"] + load("facebook", C2)["data"]))
    first_page = {"data": newest_first[:10], "paging": load("facebook", C1)["paging"]}
    fixture_server.add("GET", f"/v19.0/{POST}/comments", body=json.dumps(first_page))
    fixture_server.add("GET", f"/v19.0/{POST}/comments", body=json.dumps({"data": newest_first[10:]}),
                       query={"after": "after"})
    result = scraper(fixture_server, []).fetch_thread(POST, None)
    root, comments = result.posts[0], result.posts[1:]
    assert root.external_id == POST and root.is_thread_start and root.engagement.comments == 13
    assert len(comments) == 15 and all(c.thread_id == POST for c in comments)
    reqs = fixture_server.requests_to(f"/v19.0/{POST}/comments")
    assert reqs[0].param("order") == "reverse_chronological" and reqs[1].param("after") == "after"
    again = scraper(fixture_server, []).fetch_thread(POST, result.cursor)
    assert [p.external_id for p in again.posts] == [POST]


# ------------------------------------------------------------------ robustness

FEED_DOC, COMMENTS_DOC = load("facebook", P1), load("facebook", C1)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=200), truncations(fixture("facebook", P1).read_bytes()), mutations(FEED_DOC)))
def test_parse_feed_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_feed(b, source="s"), body)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=200), truncations(fixture("facebook", C1).read_bytes()),
                 mutations(COMMENTS_DOC)))
def test_parse_comments_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_comments(b, source="s", post_id=POST), body)
