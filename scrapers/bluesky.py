"""Bluesky (AT Protocol): authenticated `app.bsky.feed.searchPosts`, and `getPostThread` for threads.

Options: `query`, `lang` (optional filter), `handle_env` and `app_password_env` (names of the env
vars with the account handle and an app password, never the main password), `base_url` (the
account's PDS, which proxies app.bsky calls to the AppView), `backfill_hours`, `max_pages`,
`page_size` (≤ 100).

Search has needed a logged-in session since 2025, so the scraper calls `createSession` on first
use, keeps the access JWT, refreshes it with the refresh JWT when it expires, and logs in again only
when refreshing fails (sessions are limited to 30 per 5 minutes per account).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from scrapers.base import Clock, Engagement, FetchResult, Post, ScrapeError, wall_clock
from scrapers.http import FetchError, HttpClient, Response
from scrapers.social import (Mark, Page, as_dict, as_list, count, dig, load_json, read_new, require_env,
                             text, utc_from_iso, thread_cursor, with_root)

KIND = "bluesky"


def parse_post_view(view: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Post:
    """One `app.bsky.feed.defs#postView`."""
    view = as_dict(view, "bluesky post", raw_ref)
    uri = text(view.get("uri"))
    if not uri.startswith("at://"):
        raise ScrapeError(f"bluesky post without an at:// uri: {uri!r}", url=raw_ref, layout_changed=True)
    record = as_dict(view.get("record"), "bluesky record", raw_ref)
    handle = text(dig(view, "author", "handle")) or text(dig(view, "author", "did"))
    root, parent = text(dig(record, "reply", "root", "uri")), text(dig(record, "reply", "parent", "uri"))
    langs = record.get("langs") if isinstance(record.get("langs"), list) else []
    shares = [n for n in (count(view.get("repostCount")), count(view.get("quoteCount"))) if n is not None]
    return Post(
        source=source, kind=KIND, external_id=uri, thread_id=root or uri,
        url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}", title="",
        text=text(record.get("text")), author=handle,
        posted_at=utc_from_iso(record.get("createdAt") or view.get("indexedAt"), "createdAt", raw_ref),
        lang=text(langs[0]) or None if langs else None,
        engagement=Engagement(comments=count(view.get("replyCount")), likes=count(view.get("likeCount")),
                              shares=sum(shares) if shares else None),
        read_at=read_at, parent_id=parent or None, is_thread_start=not parent,
        raw_ref=raw_ref)


def parse_search(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A `searchPosts` answer → posts and the opaque `cursor` of the next page."""
    data = as_dict(load_json(body, raw_ref), "bluesky search", raw_ref)
    posts = [parse_post_view(v, source=source, raw_ref=raw_ref, read_at=read_at)
             for v in as_list(data.get("posts"), "bluesky posts", raw_ref)]
    return Page(posts, text(data.get("cursor")) or None)


def parse_thread(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A `getPostThread` answer → the post, then every reply at any depth (blocked or deleted
    replies, which carry no `post`, are skipped)."""
    data = as_dict(load_json(body, raw_ref), "bluesky thread", raw_ref)
    posts: list[Post] = []
    stack = [as_dict(data.get("thread"), "bluesky thread node", raw_ref)]
    while stack:
        node = stack.pop()
        if isinstance(node.get("post"), dict):
            posts.append(parse_post_view(node["post"], source=source, raw_ref=raw_ref, read_at=read_at))
        replies = node.get("replies") if isinstance(node.get("replies"), list) else []
        stack.extend(reversed([r for r in replies if isinstance(r, dict)]))
    if not posts:
        raise ScrapeError("bluesky thread: the post itself is missing (deleted or blocked)", url=raw_ref)
    return Page(posts)


def retry_at(response: Response) -> float | None:
    remaining, reset = count(response.header("ratelimit-remaining")), count(response.header("ratelimit-reset"))
    return float(reset) if remaining == 0 and reset else None


class BlueskyScraper:
    kind: ClassVar[str] = KIND

    @dataclass
    class Options:
        query: str = ""
        lang: str = ""
        handle_env: str = "BSKY_HANDLE"
        app_password_env: str = "BSKY_APP_PASSWORD"
        base_url: str = "https://bsky.social"
        backfill_hours: float = 24.0
        max_pages: int = 5
        page_size: int = 100

    def __init__(self, name: str, options: "BlueskyScraper.Options", http: HttpClient, *,
                 clock: Clock = wall_clock) -> None:
        if not options.query.strip():
            raise ScrapeError(f"source {name!r}: option 'query' is empty")
        self.name, self.options, self.http = name, options, http
        self.clock = clock
        self._login = {"identifier": require_env(options.handle_env, name, "Bluesky handle"),
                       "password": require_env(options.app_password_env, name, "Bluesky app password")}
        self._xrpc = options.base_url.rstrip("/") + "/xrpc/"
        self._access, self._refresh = "", ""

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        def load(token: str | None, mark: Mark) -> Page:
            since = datetime.fromtimestamp(mark.ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            params: dict[str, Any] = {"q": self.options.query, "sort": "latest", "limit": self.options.page_size,
                                      "since": since}
            if self.options.lang:
                params["lang"] = self.options.lang
            if token:
                params["cursor"] = token
            response = self._get("app.bsky.feed.searchPosts", params)
            page = parse_search(response.json(), source=self.name, raw_ref=self._xrpc + "app.bsky.feed.searchPosts")
            page.retry_at = retry_at(response)
            return page
        return read_new(load, cursor, backfill_hours=self.options.backfill_hours, max_pages=self.options.max_pages,
                        judge=lambda post: True, now=self.clock())

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        response = self._get("app.bsky.feed.getPostThread", {"uri": thread_id, "depth": 100})
        page = parse_thread(response.json(), source=self.name, raw_ref=self._xrpc + "app.bsky.feed.getPostThread")
        root, replies = page.posts[0], Page(page.posts[1:])
        result = read_new(lambda token, mark: replies, thread_cursor(cursor), backfill_hours=self.options.backfill_hours,
                          max_pages=1, ordered=False, judge=lambda post: True, now=self.clock())
        return with_root(root, result)

    def _get(self, method: str, params: dict[str, Any]) -> Response:
        if not self._access:
            self._create_session()
        try:
            return self.http.get(self._xrpc + method, params=params, headers=self._bearer(), conditional=False)
        except FetchError as exc:
            # An expired access JWT answers 400 ExpiredToken (or 401); renew once and ask again.
            if not (exc.status == 401 or (exc.status == 400 and b"ExpiredToken" in exc.body)):
                raise
            self._renew()
            return self.http.get(self._xrpc + method, params=params, headers=self._bearer(), conditional=False)

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access}"}

    def _renew(self) -> None:
        try:
            answer = self.http.post(self._xrpc + "com.atproto.server.refreshSession",
                                    headers={"Authorization": f"Bearer {self._refresh}"}).json()
            self._store(answer)
        except ScrapeError:
            self._create_session()

    def _create_session(self) -> None:
        self._store(self.http.post(self._xrpc + "com.atproto.server.createSession", json=self._login).json())

    def _store(self, answer: Any) -> None:
        answer = as_dict(answer, "bluesky session", self._xrpc)
        self._access, self._refresh = text(answer.get("accessJwt")), text(answer.get("refreshJwt"))
        if not self._access:
            raise ScrapeError(f"source {self.name!r}: Bluesky login gave no access token", url=self._xrpc)
