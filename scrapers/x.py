"""X (Twitter) API v2 recent search: tweets matching a query from the last 7 days.

Options: `query` (X search syntax, e.g. `"ทรูมูฟ" OR truemove lang:th`), `exclude_retweets`,
`bearer_env` (name of the env var with an app-only Bearer token), `base_url`, `backfill_hours`
(capped at the 7 days the endpoint covers), `max_pages`, `page_size` (10–100).

Polls resume with `since_id` (the newest id already returned). When `x-rate-limit-remaining` hits
0 the poll stops and the cursor carries `wait_until` (from `x-rate-limit-reset`), so the next run
neither burns a 429 nor loses its place in the paging.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from scrapers.base import Clock, Engagement, FetchResult, Post, ScrapeError, wall_clock
from scrapers.http import HttpClient, Response
from scrapers.social import (Mark, Page, as_dict, as_list, count, dig, load_json, read_new, require_env,
                             required_id, text, utc_from_iso, thread_cursor, with_root)

KIND = "x"
TWEET_FIELDS = "created_at,lang,public_metrics,conversation_id,referenced_tweets,author_id,in_reply_to_user_id"
SNOWFLAKE_EPOCH_MS = 1288834974657  # X ids encode their creation time since this instant
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=5)  # start_time must lie inside the window


def tweet_time(tweet: dict[str, Any], tweet_id: str, raw_ref: str = "") -> datetime:
    """`created_at`, or the time inside the snowflake id when the field was not requested."""
    if tweet.get("created_at") is not None:
        return utc_from_iso(tweet.get("created_at"), "created_at", raw_ref)
    if not tweet_id.isdigit() or len(tweet_id) > 20:
        raise ScrapeError(f"tweet {tweet_id!r} has no created_at and a non-numeric id", url=raw_ref)
    millis = (int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


def parse_tweet(tweet: Any, users: dict[str, dict[str, Any]], *, source: str, raw_ref: str = "",
                read_at: datetime | None = None) -> Post:
    tweet = as_dict(tweet, "tweet", raw_ref)
    tweet_id = required_id(tweet, "id", "tweet", raw_ref)
    conversation = text(tweet.get("conversation_id")) or tweet_id
    user = users.get(text(tweet.get("author_id")), {})
    handle = text(user.get("username"))
    metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    refs = tweet.get("referenced_tweets") if isinstance(tweet.get("referenced_tweets"), list) else []
    replied_to = next((text(ref.get("id")) for ref in refs
                       if isinstance(ref, dict) and ref.get("type") == "replied_to"), "")
    retweets, quotes = count(metrics.get("retweet_count")), count(metrics.get("quote_count"))
    return Post(
        source=source, kind=KIND, external_id=tweet_id, thread_id=conversation,
        url=f"https://x.com/{handle or 'i/web'}/status/{tweet_id}", title="",
        text=html.unescape(text(tweet.get("text"))),  # v2 escapes &, < and > in tweet text
        author=f"@{handle}" if handle else text(tweet.get("author_id")),
        posted_at=tweet_time(tweet, tweet_id, raw_ref), lang=text(tweet.get("lang")) or None,
        engagement=Engagement(
            comments=count(metrics.get("reply_count")), likes=count(metrics.get("like_count")),
            shares=None if retweets is None and quotes is None else (retweets or 0) + (quotes or 0),
            views=count(metrics.get("impression_count"))),
        read_at=read_at, parent_id=replied_to or None,
        is_thread_start=conversation == tweet_id, raw_ref=raw_ref)


def parse_search(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A `/2/tweets/search/recent` (or `/2/tweets?ids=`) answer → tweets and `meta.next_token`."""
    data = as_dict(load_json(body, raw_ref), "x search", raw_ref)
    users = {text(u.get("id")): u for u in as_list(dig(data, "includes", "users") or [], "x users", raw_ref)
             if isinstance(u, dict)}
    # An empty result has no `data` key at all, only `meta.result_count: 0`.
    posts = [parse_tweet(t, users, source=source, raw_ref=raw_ref, read_at=read_at)
             for t in as_list(data.get("data") or [], "x data", raw_ref)]
    return Page(posts, text(dig(data, "meta", "next_token")) or None,
                extra={"newest_id": text(dig(data, "meta", "newest_id"))})


def retry_at(response: Response) -> float | None:
    """Epoch when the rate-limit window reopens, when this response used its last request."""
    remaining, reset = count(response.header("x-rate-limit-remaining")), count(response.header("x-rate-limit-reset"))
    return float(reset) if remaining == 0 and reset else None


class XScraper:
    """Recent search for one query; `fetch_thread` re-reads a conversation."""

    kind: ClassVar[str] = KIND

    @dataclass
    class Options:
        query: str = ""
        exclude_retweets: bool = True
        bearer_env: str = "X_BEARER_TOKEN"
        base_url: str = "https://api.x.com"
        backfill_hours: float = 24.0
        max_pages: int = 5
        page_size: int = 100

    def __init__(self, name: str, options: "XScraper.Options", http: HttpClient, *, clock: Clock = wall_clock) -> None:
        if not options.query.strip():
            raise ScrapeError(f"source {name!r}: option 'query' is empty")
        self.name, self.options, self.http = name, options, http
        self.clock = clock
        self._auth = {"Authorization": f"Bearer {require_env(options.bearer_env, name, 'X API bearer token')}"}
        self._base = options.base_url.rstrip("/")

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        # Parentheses keep a top-level OR from binding tighter than the added operator.
        query = f"({self.options.query}) -is:retweet" if self.options.exclude_retweets else self.options.query
        return self._search(query, cursor)

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        url = f"{self._base}/2/tweets"
        page = self._page(url, {"ids": thread_id, "tweet.fields": TWEET_FIELDS, "expansions": "author_id",
                                "user.fields": "username,name"})
        root = next((p for p in page.posts if p.external_id == thread_id), None)
        return with_root(root, self._search(f"conversation_id:{thread_id}", thread_cursor(cursor)))

    def _search(self, query: str, cursor: dict[str, Any] | None) -> FetchResult:
        url = f"{self._base}/2/tweets/search/recent"
        hours = min(self.options.backfill_hours, SEARCH_WINDOW.total_seconds() / 3600)

        def load(token: str | None, mark: Mark) -> Page:
            params: dict[str, Any] = {"query": query, "max_results": self.options.page_size,
                                      "tweet.fields": TWEET_FIELDS, "expansions": "author_id",
                                      "user.fields": "username,name"}
            oldest = self.clock() - SEARCH_WINDOW
            if mark.newest_id and mark.ts > oldest.timestamp():
                params["since_id"] = mark.newest_id
            else:
                # After a long outage since_id would fall outside the 7 days and get a 400.
                start = max(datetime.fromtimestamp(mark.ts, tz=timezone.utc), oldest)
                params["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
            if token:
                params["next_token"] = token
            return self._page(url, params)
        return read_new(load, cursor, backfill_hours=hours, max_pages=self.options.max_pages,
                        judge=lambda post: True, now=self.clock())

    def _page(self, url: str, params: dict[str, Any]) -> Page:
        response = self.http.get(url, params=params, headers=self._auth, conditional=False)
        page = parse_search(response.json(), source=self.name, raw_ref=url)
        page.retry_at = retry_at(response)
        return page
