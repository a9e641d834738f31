"""Reddit thread re-reads expand "more" stubs through /api/morechildren, within a per-call budget."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scrapers.reddit import RedditScraper, parse_more_children
from tests.fixture_server import FixtureServer
from tests.scrapers.social_support import ALL_TIME_HOURS, fast_client, fixture, json_answer, load

MORE = "/api/morechildren"
STUB = {"kind": "more", "data": {"count": 2, "name": "t1_zmore01", "id": "zmore01", "parent_id": "t3_jlbw48",
                                 "depth": 0, "children": ["zmore01", "zmore02"]}}
CONTINUE = {"kind": "more", "data": {"count": 0, "name": "t1__", "id": "_", "parent_id": "t1_gao5889",
                                     "children": []}}


@pytest.fixture(autouse=True)
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RD_TEST_ID", "app-id")
    monkeypatch.setenv("RD_TEST_SECRET", "app-secret")


def scraper(server: FixtureServer, **kw: Any) -> RedditScraper:
    opts = RedditScraper.Options(subreddits=["Thailand"], client_id_env="RD_TEST_ID", client_secret_env="RD_TEST_SECRET",
                                 base_url=server.url(""), token_url=server.url("/api/v1/access_token"),
                                 backfill_hours=ALL_TIME_HOURS, **kw)
    return RedditScraper("rd", opts, fast_client([]))


def serve(server: FixtureServer) -> None:
    server.add("POST", "/api/v1/access_token", body=json_answer({"access_token": "tok", "expires_in": 3600}).body)
    thread = load("reddit", "comments_thread_jlbw48_2022.json")
    thread[1]["data"]["children"] += [STUB, CONTINUE]
    server.add("GET", "/comments/jlbw48", body=json.dumps(thread))
    server.add("GET", MORE, file=fixture("reddit", "morechildren_synthetic.json"), query={"children": "zmore01,zmore02"})
    # The nested stub's one comment: the fixture's first comment, renumbered as a reply to the second.
    comment = load("reddit", "morechildren_synthetic.json")["json"]["data"]["things"][0]
    comment["data"].update(id="zmore03", name="t1_zmore03", parent_id="t1_zmore02")
    last = {"json": {"errors": [], "data": {"things": [comment]}}}
    server.add("GET", MORE, body=json.dumps(last), query={"children": "zmore03"})


def test_parse_more_children() -> None:
    page = parse_more_children(fixture("reddit", "morechildren_synthetic.json").read_bytes(), source="rd")
    assert [p.external_id for p in page.posts] == ["t1_zmore01", "t1_zmore02"]
    assert page.posts[1].parent_id == "t1_zmore01" and page.posts[0].thread_id == "t3_jlbw48"
    assert page.extra["more"] == ["zmore03"]


def test_thread_expands_stubs_and_nested_stubs(fixture_server: FixtureServer) -> None:
    serve(fixture_server)
    result = scraper(fixture_server).fetch_thread("t3_jlbw48", None)
    ids = [p.external_id for p in result.posts]
    assert ids[0] == "t3_jlbw48" and len(ids) == 10
    assert ids[-3:] == ["t1_zmore01", "t1_zmore02", "t1_zmore03"]
    calls = fixture_server.requests_to(MORE)
    assert [c.param("children") for c in calls] == ["zmore01,zmore02", "zmore03"]  # "continue this thread" skipped
    assert calls[0].param("link_id") == "t3_jlbw48" and calls[0].param("api_type") == "json"
    assert "more" not in result.cursor and result.cursor["expanded"] == ["zmore01", "zmore02", "zmore03"]
    again = scraper(fixture_server).fetch_thread("t3_jlbw48", json.loads(json.dumps(result.cursor)))
    assert [p.external_id for p in again.posts] == ["t3_jlbw48"]


def test_budget_carries_unexpanded_stubs_to_the_next_call(fixture_server: FixtureServer) -> None:
    serve(fixture_server)
    first = scraper(fixture_server, max_more_requests=1).fetch_thread("t3_jlbw48", None)
    assert [p.external_id for p in first.posts][-2:] == ["t1_zmore01", "t1_zmore02"]
    assert first.cursor["more"] == ["zmore03"] and len(fixture_server.requests_to(MORE)) == 1
    # Its comment is older than the mark the first call set, yet it was never returned: it comes now.
    second = scraper(fixture_server, max_more_requests=1).fetch_thread("t3_jlbw48", json.loads(json.dumps(first.cursor)))
    assert [p.external_id for p in second.posts] == ["t3_jlbw48", "t1_zmore03"]
    assert "more" not in second.cursor
    # Stubs already expanded are not asked for again.
    third = scraper(fixture_server).fetch_thread("t3_jlbw48", json.loads(json.dumps(second.cursor)))
    assert [p.external_id for p in third.posts] == ["t3_jlbw48"] and len(fixture_server.requests_to(MORE)) == 2
