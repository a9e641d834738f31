"""Mastodon: hashtag timelines and (with a token) full-text status search on one instance.

Options: `base_url` (the instance), `tags` (without '#'), `search` (v2 search query; needs a user
token and an instance with full-text search), `token_env` (name of the env var with an access
token; empty = anonymous, enough for public tag timelines), `local_only`, `backfill_hours`,
`max_pages`, `page_size` (≤ 40).

Tag timelines page with the `Link` header (rel="next" carries `max_id`); polls after the first send
`since_id` so the instance only returns what is newer. Statuses are keyed by the instance's own id,
which is what `/statuses/<id>/context` needs for the thread tracker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

from scrapers.base import Clock, Engagement, FetchResult, Post, ScrapeError, wall_clock
from scrapers.http import HttpClient, Response
from scrapers.social import (Mark, Page, as_dict, as_list, count, dig, html_text, link_header, load_json,
                             read_new, read_targets, require_env, required_id, text, thread_cursor, utc_from_iso,
                             with_root)

KIND = "mastodon"


def parse_status(status: Any, *, source: str, thread_id: str = "", raw_ref: str = "",
                 read_at: datetime | None = None) -> Post:
    """One Status entity; a boost is read as the status it boosts."""
    status = as_dict(status, "mastodon status", raw_ref)
    if isinstance(status.get("reblog"), dict):
        status = status["reblog"]
    status_id = required_id(status, "id", "mastodon status", raw_ref)
    parent = text(status.get("in_reply_to_id"))
    shares = [n for n in (count(status.get("reblogs_count")), count(status.get("quotes_count"))) if n is not None]
    return Post(
        source=source, kind=KIND, external_id=status_id, thread_id=thread_id or parent or status_id,
        url=text(status.get("url")) or text(status.get("uri")),
        title=text(status.get("spoiler_text")),  # the content warning, when the author set one
        text=html_text(status.get("content")),
        author=text(dig(status, "account", "acct")),
        posted_at=utc_from_iso(status.get("created_at"), "created_at", raw_ref),
        lang=text(status.get("language")) or None,
        engagement=Engagement(comments=count(status.get("replies_count")),
                              likes=count(status.get("favourites_count")), shares=sum(shares) if shares else None),
        read_at=read_at, parent_id=parent or None,
        is_thread_start=not parent and not thread_id,
        tags=tuple(f"#{text(t.get('name'))}" for t in _list(status.get("tags")) if isinstance(t, dict)),
        raw_ref=raw_ref)


def _list(value: Any) -> list[Any]:
    # Optional list fields may be missing, null or (in a broken answer) a scalar: read those as empty.
    return value if isinstance(value, list) else []


def parse_statuses(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A timeline answer (a JSON array of statuses, newest first)."""
    items = as_list(load_json(body, raw_ref), "mastodon timeline", raw_ref)
    return Page([parse_status(s, source=source, raw_ref=raw_ref, read_at=read_at) for s in items])


def parse_search(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A `/api/v2/search` answer → its `statuses` (accounts and hashtags are ignored)."""
    data = as_dict(load_json(body, raw_ref), "mastodon search", raw_ref)
    return parse_statuses(as_list(data.get("statuses", []), "mastodon statuses", raw_ref), source=source,
                          raw_ref=raw_ref, read_at=read_at)


def parse_context(body: Any, *, source: str, thread_id: str, raw_ref: str = "",
                  read_at: datetime | None = None) -> Page:
    """`/statuses/<id>/context` → the descendants (replies at any depth) of `thread_id`."""
    data = as_dict(load_json(body, raw_ref), "mastodon context", raw_ref)
    return Page([parse_status(s, source=source, thread_id=thread_id, raw_ref=raw_ref, read_at=read_at)
                 for s in as_list(data.get("descendants", []), "mastodon descendants", raw_ref)])


def next_max_id(response: Response) -> str | None:
    """The `max_id` of the rel="next" link: the token for the next (older) page."""
    url = link_header(response.header("link")).get("next")
    return (parse_qs(urlsplit(url).query).get("max_id") or [None])[0] if url else None


def retry_at(response: Response) -> float | None:
    if count(response.header("x-ratelimit-remaining")) != 0 or not response.header("x-ratelimit-reset"):
        return None
    try:
        return utc_from_iso(response.header("x-ratelimit-reset")).timestamp()
    except ScrapeError:
        return None  # an unreadable reset time only loses the pause, never the poll


class MastodonScraper:
    kind: ClassVar[str] = KIND

    @dataclass
    class Options:
        base_url: str = "https://mastodon.social"
        tags: list[str] = field(default_factory=list)
        search: str = ""
        token_env: str = ""
        local_only: bool = False
        backfill_hours: float = 24.0
        max_pages: int = 5
        page_size: int = 40

    def __init__(self, name: str, options: "MastodonScraper.Options", http: HttpClient, *,
                 clock: Clock = wall_clock) -> None:
        if not (options.tags or options.search):
            raise ScrapeError(f"source {name!r}: set 'tags' or 'search'")
        self.name, self.options, self.http = name, options, http
        self.clock = clock
        if options.search and not options.token_env:
            raise ScrapeError(f"source {name!r}: Mastodon status search needs a user token; set 'token_env'")
        self._auth = ({"Authorization": f"Bearer {require_env(options.token_env, name, 'Mastodon access token')}"}
                      if options.token_env else {})
        self._base = options.base_url.rstrip("/")

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        targets = [f"tag:{t.lstrip('#')}" for t in self.options.tags]
        targets += ["search"] if self.options.search else []
        return read_targets(targets, cursor, self._fetch_target)

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        url = f"{self._base}/api/v1/statuses/{thread_id}"
        root = parse_status(self._get(url, {}).json(), source=self.name, raw_ref=url)
        context = parse_context(self._get(url + "/context", {}).json(), source=self.name, thread_id=thread_id,
                                raw_ref=url + "/context")
        replies = read_new(lambda token, mark: context, thread_cursor(cursor), backfill_hours=self.options.backfill_hours,
                           max_pages=1, ordered=False, judge=lambda post: True, now=self.clock())
        return with_root(root, replies)

    def _fetch_target(self, target: str, cursor: dict[str, Any] | None) -> FetchResult:
        def load(token: str | None, mark: Mark) -> Page:
            params: dict[str, Any] = {"limit": self.options.page_size}
            if mark.newest_id:
                params["since_id"] = mark.newest_id
            if token:
                params["max_id"] = token
            if target == "search":
                return self._search_page(params)
            url = f"{self._base}/api/v1/timelines/tag/{quote(target.removeprefix('tag:'), safe='')}"
            if self.options.local_only:
                params["local"] = "true"
            response = self._get(url, params)
            page = parse_statuses(response.json(), source=self.name, raw_ref=url)
            page.next_token, page.retry_at = next_max_id(response), retry_at(response)
            return page
        return read_new(load, cursor, backfill_hours=self.options.backfill_hours, max_pages=self.options.max_pages,
                        judge=lambda post: True, now=self.clock())

    def _search_page(self, params: dict[str, Any]) -> Page:
        url = f"{self._base}/api/v2/search"
        response = self._get(url, {**params, "q": self.options.search, "type": "statuses"})
        page = parse_search(response.json(), source=self.name, raw_ref=url)
        # Search has no Link header; a full page means there may be older hits below its last id.
        full = len(page.posts) >= self.options.page_size
        page.next_token = page.posts[-1].external_id if full and page.posts else None
        page.retry_at = retry_at(response)
        return page

    def _get(self, url: str, params: dict[str, Any]) -> Response:
        return self.http.get(url, params=params, headers=self._auth, conditional=False)
