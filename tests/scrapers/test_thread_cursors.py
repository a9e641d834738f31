"""Every kind's `fetch_thread` as the thread tracker calls it: first with no cursor (the whole thread,
whatever the backfill window), then with the cursor that call returned (nothing twice).

The captures are years old and every scraper here is built with a one-hour backfill window, so a first
call that still applied the window would return no comments at all.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from scrapers import REGISTRY
from scrapers.forum import ForumOptions
from scrapers.pantip import PantipOptions
from tests.fixture_server import FIXTURES, FixtureServer
from tests.scrapers import test_bluesky as bs, test_facebook as fb, test_forum as fo, test_mastodon as md
from tests.scrapers import test_reddit as rd, test_weibo as wb, test_x as xx, test_youtube as yt
from tests.scrapers.social_support import fast_client, fixture, load

ENV = {"FB_TEST_TOKEN": "t", "YT_TEST_KEY": "k", "X_TEST_BEARER": "b", "RD_TEST_ID": "i", "RD_TEST_SECRET": "s",
       "BS_TEST_HANDLE": "h", "BS_TEST_PASSWORD": "p", "WB_TEST_COOKIE": "SUB=abc"}
WINDOW = {"backfill_hours": 1}


@dataclass(frozen=True)
class Case:
    serve: Callable[[FixtureServer], None]
    options: Callable[[FixtureServer], Any]
    thread_id: str
    comments: int  # comments (and replies) the thread holds


def serve_pantip(server: FixtureServer) -> None:
    server.add("GET", "/topic/43500105", file=FIXTURES / "pantip/topic_small_synthetic.html")
    server.add("GET", "/forum/topic/render_comments", file=FIXTURES / "pantip/render_comments_tid37553384_2018.json")


def serve_forum(server: FixtureServer) -> None:
    fo.serve(server)


def serve_facebook(server: FixtureServer) -> None:
    server.add("GET", f"/v19.0/{fb.POST}", body=json.dumps(load("facebook", fb.P1)["data"][0] | {"id": fb.POST}))
    newest_first = list(reversed(load("facebook", fb.C1)["data"] + load("facebook", fb.C2)["data"]))
    server.add("GET", f"/v19.0/{fb.POST}/comments", body=json.dumps({"data": newest_first}))


def serve_youtube(server: FixtureServer) -> None:
    server.add("GET", "/youtube/v3/commentThreads", body=json.dumps({"items": yt.DOC["items"][:1]}))
    server.add("GET", "/youtube/v3/comments", body=json.dumps({"items": yt.DOC["items"][0]["replies"]["comments"]}))


def serve_x(server: FixtureServer) -> None:
    doc = load("x", xx.P1)
    server.add("GET", "/2/tweets", body=json.dumps({"data": [doc["data"][0]], "includes": doc["includes"]}))
    server.add("GET", xx.SEARCH, file=fixture("x", xx.P2))


def serve_reddit(server: FixtureServer) -> None:
    rd.serve(server)
    server.add("GET", "/comments/jlbw48", file=fixture("reddit", rd.THREAD))


def serve_mastodon(server: FixtureServer) -> None:
    server.add("GET", "/api/v1/statuses/110446223051565765", file=fixture("mastodon", md.REAL))
    server.add("GET", "/api/v1/statuses/110446223051565765/context", file=fixture("mastodon", md.CONTEXT))


def serve_bluesky(server: FixtureServer) -> None:
    bs.serve(server)
    # The captured thread has no replies; two copies of its post stand in for them.
    doc = load("bluesky", bs.THREAD)
    root = doc["thread"]["post"]
    replies = []
    for n in (1, 2):
        reply = copy.deepcopy(root) | {"uri": f"{bs.ROOT}-reply{n}", "cid": f"c{n}"}
        reply["record"]["reply"] = {"root": {"uri": bs.ROOT}, "parent": {"uri": bs.ROOT}}
        replies.append({"post": reply})
    doc["thread"]["replies"] = replies
    server.add("GET", bs.X + "app.bsky.feed.getPostThread", body=json.dumps(doc))


def serve_weibo(server: FixtureServer) -> None:
    server.add("GET", "/comments/hotflow", file=fixture("weibo", wb.FLOW_REPLIES))
    server.add("GET", "/comments/hotflow", body=json.dumps({"ok": 0, "msg": "done"}),
               query={"max_id": "139276362469527"})


CASES = {
    "pantip": Case(serve_pantip, lambda s: PantipOptions(base_url=s.base_url, **WINDOW), "43500105", 9),
    "forum": Case(serve_forum, lambda s: ForumOptions(base_url=s.base_url, **fo.PANTIP_SELECTORS),
                  "/topic/30000000", 163),
    "facebook": Case(serve_facebook, lambda s: REGISTRY["facebook"].Options(
        page_ids=[fb.PAGE], token_env="FB_TEST_TOKEN", base_url=s.url("/v19.0"), **WINDOW), fb.POST, 15),
    "youtube": Case(serve_youtube, lambda s: REGISTRY["youtube"].Options(
        video_ids=[yt.VIDEO], key_env="YT_TEST_KEY", base_url=s.url("/youtube/v3"), **WINDOW), yt.THREAD, 5),
    "x": Case(serve_x, lambda s: REGISTRY["x"].Options(
        query="science", bearer_env="X_TEST_BEARER", base_url=s.url(""), **WINDOW), "1332344846833639425", 10),
    "reddit": Case(serve_reddit, lambda s: REGISTRY["reddit"].Options(
        subreddits=["Thailand"], client_id_env="RD_TEST_ID", client_secret_env="RD_TEST_SECRET",
        base_url=s.url(""), token_url=s.url("/api/v1/access_token"), **WINDOW), "t3_jlbw48", 6),
    "mastodon": Case(serve_mastodon, lambda s: REGISTRY["mastodon"].Options(
        tags=["brand"], base_url=s.url(""), **WINDOW), "110446223051565765", 1),
    "bluesky": Case(serve_bluesky, lambda s: REGISTRY["bluesky"].Options(
        query="q", handle_env="BS_TEST_HANDLE", app_password_env="BS_TEST_PASSWORD", base_url=s.url(""), **WINDOW),
        bs.ROOT, 2),
    "weibo": Case(serve_weibo, lambda s: REGISTRY["weibo"].Options(
        enabled_i_understand_unofficial=True, containers=["102803"], cookie_env="WB_TEST_COOKIE",
        base_url=s.url(""), **WINDOW), "4840000000000000", 30),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_first_call_reads_the_thread_and_the_returned_cursor_reads_only_new(
        kind: str, fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    case = CASES[kind]
    case.serve(fixture_server)
    thread_id = fixture_server.url(case.thread_id) if kind == "forum" else case.thread_id

    def scraper() -> Any:  # a new object each time, as after a restart
        return REGISTRY[kind](f"{kind}-src", case.options(fixture_server), fast_client([]))

    first = scraper().fetch_thread(thread_id, None)
    comments = [p.external_id for p in first.posts if p.external_id != thread_id]
    assert len(set(comments)) == len(comments) == case.comments
    saved = json.loads(json.dumps(first.cursor))  # the listener stores it as JSON
    again = scraper().fetch_thread(thread_id, saved)
    assert [p.external_id for p in again.posts if p.external_id != thread_id] == []
    # And the cursor of the second call keeps it that way.
    third = scraper().fetch_thread(thread_id, json.loads(json.dumps(again.cursor)))
    assert [p.external_id for p in third.posts if p.external_id != thread_id] == []
