"""The paging engine the social scrapers share: marks, same-second posts, resume and pauses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scrapers.base import Post, ScrapeError
from scrapers.social import Mark, Page, count, link_header, read_new, require_env, utc_from_iso

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def post(ext_id: str, minutes_ago: float) -> Post:
    return Post(source="s", kind="k", external_id=ext_id, thread_id=ext_id, url="", title="", text="", author="",
                posted_at=NOW - timedelta(minutes=minutes_ago))


class Feed:
    """Pages of posts, newest first, three to a page; records the tokens it was asked for."""

    def __init__(self, posts: list[Post]) -> None:
        self.posts, self.asked = posts, []

    def load(self, token, mark) -> Page:
        self.asked.append(token)
        start = int(token or 0)
        chunk = self.posts[start:start + 3]
        return Page(chunk, str(start + 3) if start + 3 < len(self.posts) else None)


def test_backfill_window_bounds_the_first_run():
    feed = Feed([post("a", 10), post("b", 50), post("c", 70), post("d", 200)])
    result = read_new(feed.load, None, backfill_hours=1, max_pages=10, judge=lambda p: True, now=NOW)
    assert [p.external_id for p in result.posts] == ["a", "b"] and result.pages_read == 1
    mark = result.cursor["mark"]
    assert (mark["ts"], mark["ids"]) == ((NOW - timedelta(minutes=10)).timestamp(), ["a"])


def test_newest_id_compares_snowflakes_numerically():
    mark = Mark(0).advance([post("999", 2), post("1000", 1)])
    assert mark.newest_id == "1000"


def test_posts_sharing_the_mark_second_are_neither_lost_nor_repeated():
    first = read_new(Feed([post("b", 5), post("a", 6)]).load, None, backfill_hours=1, max_pages=5,
                     judge=lambda p: True, now=NOW)
    later = Feed([post("d", 1), post("c", 5), post("b", 5), post("a", 6)])
    second = read_new(later.load, first.cursor, backfill_hours=1, max_pages=5, judge=lambda p: True, now=NOW)
    assert [p.external_id for p in second.posts] == ["d", "c"]


def test_resume_continues_with_the_old_mark_until_the_walk_ends():
    feed = Feed([post(str(i), i) for i in range(7)])
    first = read_new(feed.load, None, backfill_hours=1, max_pages=1, judge=lambda p: True, now=NOW)
    assert first.cursor["resume"]["token"] == "3"
    feed.posts.insert(0, post("new", 0))  # arrives while we are mid-walk; shifts the pages
    second = read_new(feed.load, first.cursor, backfill_hours=1, max_pages=5, judge=lambda p: True, now=NOW)
    third = read_new(feed.load, second.cursor, backfill_hours=1, max_pages=5, judge=lambda p: True, now=NOW)
    seen = [p.external_id for p in first.posts + second.posts + third.posts]
    assert sorted(seen) == sorted(["new"] + [str(i) for i in range(7)]) and len(seen) == len(set(seen))


def test_inline_comments_follow_their_thread_start():
    old, new = post("old", 90), post("new", 1)
    reply_old = Post(**{**old.__dict__, "external_id": "r1", "is_thread_start": False, "parent_id": "old"})
    reply_new = Post(**{**new.__dict__, "external_id": "r2", "is_thread_start": False, "parent_id": "new"})
    cursor = {"mark": Mark((NOW - timedelta(minutes=30)).timestamp()).to_json()}
    result = read_new(lambda t, m: Page([new, reply_new, old, reply_old]), cursor, backfill_hours=1, max_pages=2, now=NOW)
    assert [p.external_id for p in result.posts] == ["new", "r2"]


def test_wait_until_skips_the_poll():
    cursor = {"mark": Mark(0).to_json(), "wait_until": NOW.timestamp() + 60}
    calls = []
    result = read_new(lambda t, m: calls.append(t) or Page([]), cursor, backfill_hours=1, max_pages=1, now=NOW)
    assert result.posts == [] and calls == [] and result.cursor == cursor


def test_bad_cursor_is_a_scrape_error():
    with pytest.raises(ScrapeError):
        read_new(lambda t, m: Page([]), {"mark": {"ts": "yesterday"}}, backfill_hours=1, max_pages=1, now=NOW)


def test_small_helpers(monkeypatch):
    assert (count("997.0"), count(True), count("11万"), count(None)) == (997, None, None, None)
    assert utc_from_iso("2021-07-09T19:09:52+0000") == datetime(2021, 7, 9, 19, 9, 52, tzinfo=timezone.utc)
    assert link_header('<https://a/x?max_id=5>; rel="next", <https://a/x?min_id=9>; rel="prev"') == {
        "next": "https://a/x?max_id=5", "prev": "https://a/x?min_id=9"}
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    with pytest.raises(ScrapeError, match="NOPE_TOKEN"):
        require_env("NOPE_TOKEN", "src", "a token")


@pytest.mark.parametrize("kind, options, needed", [
    ("facebook", {}, "page_ids"),
    ("youtube", {}, "video_ids"),
    ("x", {}, "query"),
    ("reddit", {}, "subreddits"),
    ("mastodon", {}, "tags"),
    ("bluesky", {}, "query"),
    ("weibo", {"enabled_i_understand_unofficial": True}, "keywords"),
])
def test_a_source_with_nothing_to_read_is_refused(kind, options, needed):
    from scrapers import REGISTRY
    from scrapers.http import HttpClient

    cls = REGISTRY[kind]
    with pytest.raises(ScrapeError, match=needed):
        cls(f"{kind}-src", cls.Options(**options), HttpClient())
