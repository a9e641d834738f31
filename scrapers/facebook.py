"""Facebook Graph API: the feed of the brand's own Pages and the comments under each post.

Options: `page_ids` (Pages the token can read), `token_env` (name of the env var holding a Page
access token with `pages_read_engagement`), `base_url` (Graph root incl. version), `backfill_hours`,
`max_pages`, `page_size`, `comments_page_size`.

Since Graph v11 comment `id`s are withheld from apps that cannot moderate the Page, so a comment
is keyed on the `comment_id` / `reply_comment_id` in its `permalink_url` when `id` is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from scrapers.base import Clock, Engagement, FetchResult, Post, ScrapeError, wall_clock
from scrapers.http import HttpClient
from scrapers.social import (Mark, Page, as_dict, as_list, count, dig, load_json, read_new, read_targets,
                             require_env, required_id, text, utc_from_iso, thread_cursor, with_root)

KIND = "facebook"
REACTION_KINDS = ("like", "love", "care", "wow", "haha", "sad", "angry")
# Per-type totals are requested as aliases so one call gives the whole reaction breakdown.
FEED_FIELDS = ",".join(
    ["id", "message", "created_time", "updated_time", "permalink_url", "status_type", "shares", "from",
     "comments.filter(stream).summary(true).limit(0)", "reactions.summary(true).limit(0)"]
    + [f"reactions.type({k.upper()}).limit(0).summary(total_count).as({k})" for k in REACTION_KINDS])
COMMENT_FIELDS = "id,message,created_time,like_count,comment_count,permalink_url,from,parent{id}"


def parse_post(item: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Post:
    """One Graph post object (from a feed page or a single-post read)."""
    item = as_dict(item, "facebook post", raw_ref)
    post_id = required_id(item, "id", "facebook post", raw_ref)
    kinds = tuple((k, n) for k in REACTION_KINDS if (n := count(dig(item, k, "summary", "total_count"))))
    return Post(
        source=source, kind=KIND, external_id=post_id, thread_id=post_id,
        url=text(item.get("permalink_url")) or f"https://www.facebook.com/{post_id}",
        title="", text=text(item.get("message")),
        author=text(dig(item, "from", "name")) or post_id.split("_")[0],
        posted_at=utc_from_iso(item.get("created_time"), "created_time", raw_ref),
        engagement=Engagement(
            comments=count(dig(item, "comments", "summary", "total_count")),
            likes=count(dig(item, "like", "summary", "total_count")),
            shares=count(dig(item, "shares", "count")),
            reactions=count(dig(item, "reactions", "summary", "total_count")),
            reaction_kinds=kinds),
        read_at=read_at, raw_ref=raw_ref)


def parse_feed(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A `/{page}/feed` (or `/posts`) page → posts, newest first, and the `after` cursor."""
    data = as_dict(load_json(body, raw_ref), "facebook feed", raw_ref)
    posts = [parse_post(item, source=source, raw_ref=raw_ref, read_at=read_at)
             for item in as_list(data.get("data"), "facebook feed data", raw_ref)]
    return Page(posts, _after(data))


def parse_comments(body: Any, *, source: str, post_id: str, raw_ref: str = "",
                   read_at: datetime | None = None) -> Page:
    """A `/{post}/comments` page → comment Posts of thread `post_id`, and the `after` cursor."""
    data = as_dict(load_json(body, raw_ref), "facebook comments", raw_ref)
    posts = []
    for item in as_list(data.get("data"), "facebook comments data", raw_ref):
        post = _comment(as_dict(item, "facebook comment", raw_ref), source, post_id, raw_ref, read_at)
        if post is not None:
            posts.append(post)
    return Page(posts, _after(data), extra={"total": count(dig(data, "summary", "total_count"))})


def _comment(item: dict[str, Any], source: str, post_id: str, raw_ref: str, read_at: datetime | None) -> Post | None:
    permalink = text(item.get("permalink_url"))
    query = parse_qs(urlsplit(permalink).query)
    top, reply = (query.get("comment_id") or [""])[0], (query.get("reply_comment_id") or [""])[0]
    comment_id = text(item.get("id")) or reply or top
    if not comment_id:
        return None  # neither an id nor a permalink: nothing to dedupe on, so it cannot be stored
    parent = text(dig(item, "parent", "id")) or (top if reply else post_id)
    return Post(
        source=source, kind=KIND, external_id=comment_id, thread_id=post_id,
        url=permalink or f"https://www.facebook.com/{post_id}", title="", text=text(item.get("message")),
        author=text(dig(item, "from", "name")),  # withheld unless the token can moderate the Page
        posted_at=utc_from_iso(item.get("created_time"), "created_time", raw_ref),
        engagement=Engagement(comments=count(item.get("comment_count")), likes=count(item.get("like_count"))),
        read_at=read_at, parent_id=parent, is_thread_start=False, raw_ref=raw_ref)


def _after(data: dict[str, Any]) -> str | None:
    # Graph omits `paging.next` on the last page even when `cursors.after` is present.
    if not text(dig(data, "paging", "next")):
        return None
    return text(dig(data, "paging", "cursors", "after")) or None


class FacebookScraper:
    """Polls the feeds of the configured Pages; `fetch_thread` re-reads a post and its new comments."""

    kind: ClassVar[str] = KIND

    @dataclass
    class Options:
        page_ids: list[str] = field(default_factory=list)
        token_env: str = "FB_PAGE_TOKEN"
        base_url: str = "https://graph.facebook.com/v19.0"
        backfill_hours: float = 24.0
        max_pages: int = 5
        page_size: int = 25
        comments_page_size: int = 50

    def __init__(self, name: str, options: "FacebookScraper.Options", http: HttpClient, *,
                 clock: Clock = wall_clock) -> None:
        if not options.page_ids:
            raise ScrapeError(f"source {name!r}: option 'page_ids' is empty")
        self.name, self.options, self.http = name, options, http
        self.clock = clock
        self._auth = {"Authorization": f"Bearer {require_env(options.token_env, name, 'Page access token')}"}
        self._base = options.base_url.rstrip("/")

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        return read_targets(self.options.page_ids, cursor, self._fetch_page_feed)

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        url = f"{self._base}/{thread_id}"
        item = self._get(url, {"fields": FEED_FIELDS})
        root = parse_post(item, source=self.name, raw_ref=url)
        comments = read_new(lambda token, mark: self._comments_page(thread_id, token), thread_cursor(cursor),
                            backfill_hours=self.options.backfill_hours, max_pages=self.options.max_pages,
                            judge=lambda post: True, now=self.clock())
        return with_root(root, comments)

    def _fetch_page_feed(self, page_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        def load(token: str | None, mark: Mark) -> Page:
            url = f"{self._base}/{page_id}/feed"
            # `since` lets Graph skip what we already have; the mark still filters same-second posts.
            params = {"fields": FEED_FIELDS, "limit": self.options.page_size, "since": int(mark.ts)}
            if token:
                params["after"] = token
            return parse_feed(self._get(url, params), source=self.name, raw_ref=url)
        return read_new(load, cursor, backfill_hours=self.options.backfill_hours,
                        max_pages=self.options.max_pages, now=self.clock())

    def _comments_page(self, post_id: str, token: str | None) -> Page:
        url = f"{self._base}/{post_id}/comments"
        params: dict[str, Any] = {"fields": COMMENT_FIELDS, "filter": "stream", "summary": "true",
                                  "order": "reverse_chronological", "limit": self.options.comments_page_size}
        if token:
            params["after"] = token
        return parse_comments(self._get(url, params), source=self.name, post_id=post_id, raw_ref=url)

    def _get(self, url: str, params: dict[str, Any]) -> Any:
        # The token travels in a header, never in the URL, so it cannot leak into logs of URLs.
        return self.http.get(url, params=params, headers=self._auth, conditional=False).json()
