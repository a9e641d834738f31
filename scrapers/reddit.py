"""Reddit over OAuth: newest posts (or search hits) of subreddits, optionally their comment streams,
and whole comment trees for the thread tracker.

Options: `subreddits`, `search` (query; with subreddits it is restricted to them, otherwise
site-wide), `include_comments` (also poll `/r/<sub>/comments`), `client_id_env`, `client_secret_env`
(names of env vars of a Reddit "script"/"web" app), `base_url` (API host), `token_url` (OAuth token
endpoint), `backfill_hours`, `max_pages`, `page_size` (≤ 100), `max_more_requests` (per thread re-read).

Big comment trees arrive with "more" stubs in place of some comments; a thread re-read expands them
through `/api/morechildren` (100 ids a request, `max_more_requests` requests a call). Ids it had no
budget for are kept in the thread cursor and expanded first next time.

Auth is the client-credentials grant: the token is fetched on first use, kept until it expires and
fetched again once when the API answers 401.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from scrapers.base import Clock, Engagement, FetchResult, Post, ScrapeError, wall_clock
from scrapers.http import FetchError, HttpClient, Response
from scrapers.social import (Mark, Page, as_dict, as_list, count, dig, load_json, read_new, read_targets,
                             require_env, required_id, text, utc_from_epoch, thread_cursor, with_root)

KIND = "reddit"
WEB = "https://www.reddit.com"
MORE_PER_REQUEST = 100  # /api/morechildren takes at most 100 ids
MAX_CARRIED_MORE = 1000  # stub ids kept in a thread cursor for the next re-read


def parse_thing(thing: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Post | None:
    """A `t3` (post) or `t1` (comment) Thing; other kinds ("more", ads) give None."""
    thing = as_dict(thing, "reddit thing", raw_ref)
    kind, data = thing.get("kind"), thing.get("data")
    if kind not in ("t1", "t3"):
        return None
    data = as_dict(data, f"reddit {kind}", raw_ref)
    name = text(data.get("name")) or f"{kind}_{required_id(data, 'id', 'reddit thing', raw_ref)}"
    is_post = kind == "t3"
    permalink = text(data.get("permalink"))
    return Post(
        source=source, kind=KIND, external_id=name,
        thread_id=name if is_post else text(data.get("link_id")) or name,
        url=WEB + permalink if permalink.startswith("/") else permalink or text(data.get("url")),
        title=text(data.get("title")) if is_post else text(data.get("link_title")),
        text=text(data.get("selftext" if is_post else "body")),  # markdown source, not the _html variant
        author=text(data.get("author")),
        posted_at=utc_from_epoch(data.get("created_utc"), "created_utc", raw_ref),
        engagement=Engagement(comments=count(data.get("num_comments")) if is_post else None,
                              likes=count(data.get("score"))),
        read_at=read_at,
        parent_id=None if is_post else text(data.get("parent_id")) or None, is_thread_start=is_post,
        tags=(f"r/{text(data.get('subreddit'))}",) if data.get("subreddit") else (), raw_ref=raw_ref)


def parse_listing(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A Listing (`/new`, `/search`, `/comments` stream) → Things in order and `data.after`."""
    listing = as_dict(load_json(body, raw_ref), "reddit listing", raw_ref)
    data = as_dict(listing.get("data"), "reddit listing data", raw_ref)
    posts = [p for child in as_list(data.get("children"), "reddit children", raw_ref)
             if (p := parse_thing(child, source=source, raw_ref=raw_ref, read_at=read_at)) is not None]
    return Page(posts, text(data.get("after")) or None)


def parse_thread(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """`/comments/<id>` → [the post, then every comment of the tree, depth first]."""
    pair = as_list(load_json(body, raw_ref), "reddit thread", raw_ref)
    if len(pair) != 2:
        raise ScrapeError(f"reddit thread: expected [post, comments], got {len(pair)} parts", url=raw_ref,
                          layout_changed=True)
    posts = parse_listing(pair[0], source=source, raw_ref=raw_ref, read_at=read_at).posts
    page = _flatten(as_list(dig(pair[1], "data", "children"), "reddit comments", raw_ref), source, raw_ref, read_at)
    return Page(posts + page.posts, extra=page.extra)


def parse_more_children(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """`/api/morechildren?api_type=json` → the comments it expanded (flat, each with its `parent_id`);
    `extra["more"]` holds the ids of any further stubs among them."""
    answer = as_dict(load_json(body, raw_ref), "reddit morechildren", raw_ref)
    errors = dig(answer, "json", "errors")
    if errors:
        raise ScrapeError(f"reddit morechildren: {errors!r}", url=raw_ref)
    things = as_list(dig(answer, "json", "data", "things"), "reddit morechildren things", raw_ref)
    return _flatten(things, source, raw_ref, read_at)


def _flatten(things: list[Any], source: str, raw_ref: str, read_at: datetime | None) -> Page:
    """Comments of a tree depth first, and the child ids of its "more" stubs in `extra["more"]`."""
    posts: list[Post] = []
    more: list[str] = []
    stack = list(reversed(things))
    while stack:
        thing = stack.pop()
        if isinstance(thing, dict) and thing.get("kind") == "more":
            # count 0 / id "_" is "continue this thread" (a deeper page), not ids to expand.
            children = dig(thing, "data", "children")
            if isinstance(children, list):
                more.extend(text(c) for c in children if text(c))
            continue
        post = parse_thing(thing, source=source, raw_ref=raw_ref, read_at=read_at)
        if post is not None:
            posts.append(post)
        replies = dig(thing, "data", "replies", "data", "children")  # "" when a comment has none
        stack.extend(reversed(replies if isinstance(replies, list) else []))
    return Page(posts, extra={"more": more})


def retry_at(response: Response) -> float | None:
    """When the 10-minute window reopens, if this response used the last request of it."""
    remaining, reset = count(response.header("x-ratelimit-remaining")), count(response.header("x-ratelimit-reset"))
    return time.time() + reset if remaining == 0 and reset is not None else None


class RedditScraper:
    kind: ClassVar[str] = KIND

    @dataclass
    class Options:
        subreddits: list[str] = field(default_factory=list)
        search: str = ""
        include_comments: bool = False
        client_id_env: str = "REDDIT_CLIENT_ID"
        client_secret_env: str = "REDDIT_CLIENT_SECRET"
        base_url: str = "https://oauth.reddit.com"
        token_url: str = "https://www.reddit.com/api/v1/access_token"
        backfill_hours: float = 24.0
        max_pages: int = 5
        page_size: int = 100
        max_more_requests: int = 5  # /api/morechildren calls per thread re-read

    def __init__(self, name: str, options: "RedditScraper.Options", http: HttpClient, *,
                 clock: Clock = wall_clock) -> None:
        if not (options.subreddits or options.search):
            raise ScrapeError(f"source {name!r}: set 'subreddits' or 'search'")
        self.name, self.options, self.http = name, options, http
        self.clock = clock
        client_id = require_env(options.client_id_env, name, "Reddit app client id")
        secret = require_env(options.client_secret_env, name, "Reddit app client secret")
        self._basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self._token, self._expires = "", 0.0
        self._base = options.base_url.rstrip("/")

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        subs, query = self.options.subreddits, self.options.search
        targets = [f"/r/{s}/search" if query else f"/r/{s}/new" for s in subs] or (["/search"] if query else [])
        targets += [f"/r/{s}/comments" for s in subs] if self.options.include_comments else []
        return read_targets(targets, cursor, self._fetch_listing)

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        path = f"/comments/{thread_id.removeprefix('t3_')}"
        response = self._get(path, {"sort": "new", "limit": 500, "raw_json": 1})
        page = parse_thread(response.json(), source=self.name, raw_ref=self._base + path)
        root = next((p for p in page.posts if p.is_thread_start), None)
        state = dict(thread_cursor(cursor))
        carried = [text(i) for i in state.pop("more", None) or [] if text(i)]
        done = [text(i) for i in state.pop("expanded", None) or []]
        budget = [self.options.max_more_requests]
        # Stubs carried from the last call hide comments never returned: they skip the mark. Stubs new
        # to this call may hold comments that were inline before, so those go through the mark.
        early, left = self._expand(thread_id, carried, budget, done)
        fresh_stubs = [i for i in page.extra["more"] if i not in set(carried) | set(done)]
        late, left_now = self._expand(thread_id, fresh_stubs, budget, done)
        comments = Page([p for p in page.posts + late if not p.is_thread_start])
        # The whole tree arrives in one answer, in tree order, so every comment is checked.
        result = read_new(lambda token, mark: comments, state, backfill_hours=self.options.backfill_hours,
                          max_pages=1, ordered=False, judge=lambda post: True, now=self.clock())
        result.posts[:0] = [p for p in early if not p.is_thread_start]
        if left or left_now:
            result.cursor["more"] = list(dict.fromkeys(left + left_now))[:MAX_CARRIED_MORE]
        if done:
            result.cursor["expanded"] = done[-MAX_CARRIED_MORE:]
        return with_root(root, result)

    def _expand(self, thread_id: str, ids: list[str], budget: list[int],
                done: list[str]) -> tuple[list[Post], list[str]]:
        """Comments behind "more" stub `ids` (and stubs found among them), while `budget[0]` requests last;
        returns them and the ids left unexpanded, and appends the expanded ids to `done`."""
        link = "t3_" + thread_id.removeprefix("t3_")
        pending, posts = list(dict.fromkeys(ids)), []
        while pending and budget[0] > 0:
            budget[0] -= 1
            batch, pending = pending[:MORE_PER_REQUEST], pending[MORE_PER_REQUEST:]
            params = {"api_type": "json", "link_id": link, "children": ",".join(batch), "sort": "new",
                      "limit_children": "false", "raw_json": 1}
            page = parse_more_children(self._get("/api/morechildren", params).json(), source=self.name,
                                       raw_ref=self._base + "/api/morechildren")
            posts.extend(page.posts)
            done.extend(batch)
            pending.extend(i for i in page.extra["more"] if i not in batch and i not in done)
        return posts, pending

    def _fetch_listing(self, path: str, cursor: dict[str, Any] | None) -> FetchResult:
        def load(token: str | None, mark: Mark) -> Page:
            params: dict[str, Any] = {"limit": self.options.page_size, "raw_json": 1}
            if path.endswith("/search"):
                params.update(q=self.options.search, sort="new", restrict_sr=int(path != "/search"))
            if token:
                params["after"] = token
            response = self._get(path, params)
            page = parse_listing(response.json(), source=self.name, raw_ref=self._base + path)
            page.retry_at = retry_at(response)
            return page
        return read_new(load, cursor, backfill_hours=self.options.backfill_hours, max_pages=self.options.max_pages,
                        judge=lambda post: True, now=self.clock())

    def _get(self, path: str, params: dict[str, Any]) -> Response:
        try:
            return self.http.get(self._base + path, params=params, headers=self._auth(), conditional=False)
        except FetchError as exc:
            if exc.status != 401:
                raise
            self._token = ""  # revoked or expired early: fetch a new token once
            return self.http.get(self._base + path, params=params, headers=self._auth(), conditional=False)

    def _auth(self) -> dict[str, str]:
        if not self._token or time.time() >= self._expires:
            answer = self.http.post(self.options.token_url, data={"grant_type": "client_credentials"},
                                    headers={"Authorization": self._basic}).json()
            answer = as_dict(answer, "reddit token answer", self.options.token_url)
            self._token = text(answer.get("access_token"))
            if not self._token:
                raise ScrapeError(f"source {self.name!r}: Reddit refused the app credentials "
                                  f"({text(answer.get('error')) or 'no access_token'})", url=self.options.token_url)
            # Renew a minute early so a token never expires between check and use.
            self._expires = time.time() + (count(answer.get("expires_in")) or 3600) - 60
        return {"Authorization": f"Bearer {self._token}"}
