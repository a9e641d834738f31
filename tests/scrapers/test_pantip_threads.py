"""Pantip comments and replies end to end: replies beyond the five inline (`render_replys`), new replies
to old comments in thread re-reads, and page-by-page progress through long comment lists."""

from __future__ import annotations

import copy
import json
from typing import Any

from scrapers.http import HttpClient, HttpPolicy
from scrapers.pantip import PantipOptions, PantipScraper
from tests.fixture_server import FIXTURES, FixtureServer

PANTIP = FIXTURES / "pantip"
TID = "43500090"
COMMENTS = "/forum/topic/render_comments"
REPLYS = "/forum/topic/render_replys"
CAPTURE = json.loads((PANTIP / "render_comments_tid37553384_2018.json").read_text(encoding="utf-8-sig"))
TEMPLATE_COMMENT = CAPTURE["comments"][4]  # comment 5 of the capture: it has one inline reply
TEMPLATE_REPLY = TEMPLATE_COMMENT["replies"][0]


def scraper(server: FixtureServer, **options: Any) -> PantipScraper:
    http = HttpClient(HttpPolicy(rate_per_host=0, backoff_base_s=0.01, timeout_s=5), sleep=lambda s: None)
    opts = PantipOptions(**{"rooms": ["mbk"], "base_url": server.base_url, "backfill_hours": 24 * 365 * 30,
                            "comments": True, **options})
    return PantipScraper("pantip-mbk", opts, http)


def comment(no: int, replies: int = 0, inline: int | None = None) -> dict[str, Any]:
    """A comment in the captured shape with `replies` in all, the first `inline` of them shown inline."""
    item = copy.deepcopy(TEMPLATE_COMMENT)
    item.update(_id=str(90000000 + no), comment_no=no, reply_count=replies, replies=[])
    for rno in range(1, min(replies, 5 if inline is None else inline) + 1):
        reply = copy.deepcopy(TEMPLATE_REPLY)
        reply.update(reply_id=91000000 + no * 100 + rno, reply_no=rno, comment_no=no)
        item["replies"].append(reply)
    return item


def page(comments: list[dict[str, Any]], total: int, page_no: int = 1) -> str:
    return json.dumps({"count": total, "paging": {"page": page_no, "limit": 100, "limit_reply": 5},
                       "comments": comments})


def serve_topic(server: FixtureServer, comments: list[dict[str, Any]], total: int | None = None) -> None:
    server.add("GET", f"/topic/{TID}", file=PANTIP / "topic_small_synthetic.html")
    server.add("GET", COMMENTS, body=page(comments, total or len(comments)))
    # render_replys for comment 5 answers its replies 6 and 7 (the synthetic capture).
    server.add("GET", REPLYS, file=PANTIP / "render_replys_synthetic.json", query={"cid": "90000005"})


def ids(posts: list) -> list[str]:
    return [p.external_id for p in posts]


def test_fetch_reads_replies_beyond_the_five_inline(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/api/forum-service/forum/room_topic", file=PANTIP / "room_topic_page3_synthetic.json")
    serve_topic(fixture_server, [comment(4), comment(5, replies=7)])
    result = scraper(fixture_server).fetch(None)
    assert ids(result.posts) == [TID, f"{TID}#4", f"{TID}#5"] + [f"{TID}#5.{n}" for n in range(1, 8)]
    assert result.posts[-1].text == "ลองแจ้ง กสทช. ดูครับ" and result.posts[-1].parent_id == f"{TID}#5"
    call = fixture_server.requests_to(REPLYS)[0]
    assert (call.param("cid"), call.param("last"), call.param("c")) == ("90000005", "5", "7")
    assert call.headers["x-requested-with"] == "XMLHttpRequest"
    assert result.threads[TID] == {"comments": 5, "replies": {"5": 7}, "reads": 0, "sweep": 0}


def test_reply_requests_are_bounded_per_run(fixture_server: FixtureServer) -> None:
    serve_topic(fixture_server, [comment(5, replies=7)])
    first = scraper(fixture_server, max_reply_requests=0).fetch_thread(TID, None)
    assert ids(first.posts)[-1] == f"{TID}#5.5" and fixture_server.requests_to(REPLYS) == []
    assert first.cursor == {"comments": 5, "replies": {"5": 5}, "reads": 1, "sweep": 0}
    # The next read asks for what the budget left out, and returns only that.
    rest = scraper(fixture_server).fetch_thread(TID, json.loads(json.dumps(first.cursor)))
    assert ids(rest.posts) == [TID, f"{TID}#5.6", f"{TID}#5.7"]


def test_fetch_thread_returns_new_comments_and_new_replies_to_old_comments(fixture_server: FixtureServer) -> None:
    serve_topic(fixture_server, [comment(3), comment(5, replies=7)])
    first = scraper(fixture_server).fetch_thread(TID, None)
    assert ids(first.posts) == [TID, f"{TID}#3", f"{TID}#5"] + [f"{TID}#5.{n}" for n in range(1, 8)]
    saved = json.loads(json.dumps(first.cursor))  # what the listener stores; a restart reads it back
    # Later: comment 3 got two inline replies, comment 5 an eighth reply (beyond the inline five),
    # and comment 9 is new.
    fixture_server.add("GET", COMMENTS, body=page([comment(3, replies=2), comment(5, replies=8), comment(9)], 9))
    fixture_server.add("GET", REPLYS, body=json.dumps({"replies": [dict(TEMPLATE_REPLY, reply_no=8, comment_no=5)],
                                                        "lnext": False}), query={"cid": "90000005", "last": "7"})
    second = scraper(fixture_server).fetch_thread(TID, saved)
    assert ids(second.posts) == [TID, f"{TID}#3.1", f"{TID}#3.2", f"{TID}#9", f"{TID}#5.8"]
    assert second.cursor == {"comments": 9, "replies": {"3": 2, "5": 8}, "reads": 2, "sweep": 0}
    third = scraper(fixture_server).fetch_thread(TID, json.loads(json.dumps(second.cursor)))
    assert ids(third.posts) == [TID]


def test_old_cursor_without_reply_counts_does_not_repeat_inline_replies(fixture_server: FixtureServer) -> None:
    serve_topic(fixture_server, [comment(5, replies=2), comment(6)])
    result = scraper(fixture_server).fetch_thread(TID, {"comments": 5})
    assert ids(result.posts) == [TID, f"{TID}#6"]


def numbered_pages(server: FixtureServer, total: int) -> None:
    for page_no in range(1, total // 100 + 2):
        numbers = range((page_no - 1) * 100 + 1, min(page_no * 100, total) + 1)
        query = {"param": f"page{page_no}" if page_no > 1 else ""}
        server.add("GET", COMMENTS, body=page([comment(n) for n in numbers], total, page_no), query=query)


def test_comment_paging_keeps_progress_per_page(fixture_server: FixtureServer) -> None:
    serve_topic(fixture_server, [])
    numbered_pages(fixture_server, 250)
    fixture_server.add("GET", COMMENTS, status=500, query={"param": "page3"})
    broken = scraper(fixture_server).fetch_thread(TID, None)
    assert len(broken.posts) == 201 and "comments page 3" in broken.errors[0]
    assert broken.cursor["comments"] == 200
    numbered_pages(fixture_server, 250)  # page 3 answers again
    before = len(fixture_server.requests_to(COMMENTS))
    healed = scraper(fixture_server).fetch_thread(TID, json.loads(json.dumps(broken.cursor)))
    assert ids(healed.posts)[1:] == [f"{TID}#{n}" for n in range(201, 251)] and healed.errors == []
    # It starts at page 3; earlier pages are revisited for new replies only every `reply_sweep_every` reads.
    asked = [r.param("param") for r in fixture_server.requests_to(COMMENTS)[before:]]
    assert asked == ["page3"]


def test_page_budget_stops_and_the_next_read_continues(fixture_server: FixtureServer) -> None:
    serve_topic(fixture_server, [])
    numbered_pages(fixture_server, 250)
    first = scraper(fixture_server, max_comment_pages=1).fetch_thread(TID, None)
    assert len(first.posts) == 101 and first.cursor["comments"] == 100
    second = scraper(fixture_server, max_comment_pages=1).fetch_thread(TID, first.cursor)
    assert ids(second.posts)[1:] == [f"{TID}#{n}" for n in range(101, 201)]
