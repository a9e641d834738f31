"""Pieces the JSON-API social scrapers share: safe JSON access, time parsing, credentials, and the
paging engine that turns "pages, newest first" into a resumable `FetchResult`.

Options read here (passed in by each scraper): `backfill_hours`, `max_pages`.

The cursor every social scraper stores is `{"mark": {...}}` once a poll finished, or
`{"mark": {...}, "resume": {"token", "pending", "low"}}` when it stopped mid-way (page budget
spent, or the API said the rate-limit window is used up). Resuming continues from the stored page
token with the *old* mark, so a restart neither re-reads what it returned nor skips older pages;
`low` (the oldest post returned so far) drops posts that offset-paged APIs shift onto a later page.
Only when the walk completes does the mark move to the newest post seen.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from scrapers.base import FetchResult, Post, ScrapeError
from scrapers.html import html_to_text



def load_json(body: Any, url: str = "") -> Any:
    """Decode `body` (bytes or str) as JSON; already-decoded values pass through unchanged."""
    if isinstance(body, (bytes, bytearray)):
        # JSON is UTF-8 (RFC 8259); a broken sequence in one post costs that character, not the page.
        body = bytes(body).decode("utf-8-sig", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body.lstrip("\ufeff"))
        except (ValueError, RecursionError) as exc:
            raise ScrapeError(f"body is not JSON: {exc}", url=url) from exc
    return body


def as_dict(value: Any, what: str, url: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScrapeError(f"{what}: expected an object, got {type(value).__name__}", url=url,
                          layout_changed=True)
    return value


def as_list(value: Any, what: str, url: str = "") -> list[Any]:
    if not isinstance(value, list):
        raise ScrapeError(f"{what}: expected a list, got {type(value).__name__}", url=url,
                          layout_changed=True)
    return value


def dig(value: Any, *keys: str) -> Any:
    """Follow `keys` through nested objects; None as soon as one level is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text(value: Any) -> str:
    """A string field; numbers are stringified, anything else (None, objects) reads as ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def count(value: Any) -> int | None:
    """A counter: ints, floats and numeric strings ("997.0"); None when absent or not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e18:
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except (ValueError, OverflowError):
            return None
    return None


def required_id(item: dict[str, Any], key: str, what: str, url: str = "") -> str:
    ident = text(item.get(key))
    if not ident:
        raise ScrapeError(f"{what} has no {key!r}", url=url, layout_changed=True)
    return ident


_PARA_END = re.compile(r"</p\s*>", re.I)


def html_text(fragment: Any) -> str:
    """Plain text of an HTML field (Mastodon `content`, Weibo `text`), paragraphs kept apart."""
    # The shared helper turns <br> into line breaks but glues "</p><p>" together; mark the ends.
    return html_to_text(_PARA_END.sub("</p><br>", text(fragment)))



def utc_from_iso(value: Any, what: str = "time", url: str = "") -> datetime:
    """ISO-8601 with 'Z', '+00:00' or '+0000' (Graph API) offsets → aware UTC datetime."""
    raw = text(value)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ScrapeError(f"{what}: not an ISO time: {raw!r}", url=url) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # the APIs here document UTC when they omit it
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError as exc:  # e.g. year 1 with a positive offset
        raise ScrapeError(f"{what}: time out of range: {raw!r}", url=url) from exc


def utc_from_epoch(value: Any, what: str = "time", url: str = "") -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScrapeError(f"{what}: not an epoch number: {value!r}", url=url)
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:
        raise ScrapeError(f"{what}: epoch out of range: {value!r}", url=url) from exc



def require_env(var_name: str, source: str, purpose: str) -> str:
    """Read a secret from the environment variable named in the options; never log the value."""
    if not var_name:
        raise ScrapeError(f"source {source!r}: no environment variable name configured for {purpose}")
    value = os.environ.get(var_name, "")
    if not value.strip():
        raise ScrapeError(f"source {source!r}: environment variable {var_name} ({purpose}) is not set")
    return value.strip()


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([a-z]+)"?')


def link_header(value: str | None) -> dict[str, str]:
    """RFC 8288 `Link` header → {rel: url} (Mastodon pages with it)."""
    return {rel: url for url, rel in _LINK.findall(value or "")}



@dataclass(frozen=True)
class Mark:
    """High-water mark: newest time already returned, the ids returned at exactly that time (so
    posts sharing a timestamp are neither lost nor repeated), and the highest id for since_id APIs."""

    ts: float
    ids: tuple[str, ...] = ()
    newest_id: str = ""

    def is_new(self, post: Post) -> bool:
        ts = post.posted_at.timestamp()
        return ts > self.ts or (ts == self.ts and post.external_id not in self.ids)

    def advance(self, posts: Iterable[Post]) -> "Mark":
        ts, ids, newest = self.ts, set(self.ids), self.newest_id
        for post in posts:
            post_ts = post.posted_at.timestamp()
            if post_ts > ts:
                ts, ids = post_ts, {post.external_id}
            elif post_ts == ts:
                ids.add(post.external_id)
            if _id_key(post.external_id) > _id_key(newest):
                newest = post.external_id
        return Mark(ts, tuple(sorted(ids)), newest)

    def to_json(self) -> dict[str, Any]:
        return {"ts": self.ts, "ids": list(self.ids), "newest_id": self.newest_id}

    @classmethod
    def from_json(cls, value: Any) -> "Mark":
        data = as_dict(value, "cursor mark")
        ts = data.get("ts")
        if isinstance(ts, bool) or not isinstance(ts, (int, float)):
            raise ScrapeError(f"cursor mark has no numeric 'ts': {value!r}")
        ids = tuple(str(i) for i in data.get("ids") or ())
        return cls(float(ts), ids, text(data.get("newest_id")))


def _id_key(ident: str) -> tuple[int, str]:
    # Snowflake-style numeric ids sort by length first; other ids fall back to plain string order.
    return (len(ident), ident) if ident.isdigit() else (0, ident)


@dataclass
class Page:
    """One API page: its posts (newest first when the API is ordered), the token for the next
    (older) page, and `retry_at` (epoch) when the API said its rate-limit window is used up."""

    posts: list[Post]
    next_token: str | None = None
    retry_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Loader = Callable[[str | None, Mark], Page]


def read_new(load: Loader, cursor: dict[str, Any] | None, *, backfill_hours: float, max_pages: int,
             ordered: bool = True, judge: Callable[[Post], bool] = lambda p: p.is_thread_start,
             now: datetime | None = None) -> FetchResult:
    """Walk pages from newest to older until reaching posts already returned (or the backfill
    window on a first run), at most `max_pages` per call; see the module docstring for the cursor.

    `judge` picks the posts the mark is about (thread starts for feeds, every comment for threads);
    other posts (inline comments) are kept when their thread start is kept.
    """
    now = now or datetime.now(timezone.utc)
    cursor = dict(cursor or {})
    if float(cursor.get("wait_until") or 0) > now.timestamp():
        return FetchResult([], cursor, 0)  # the API asked us to wait; asking again only burns quota
    floor = (Mark.from_json(cursor["mark"]) if "mark" in cursor
             else Mark((now - timedelta(hours=backfill_hours)).timestamp()))
    resume = cursor.get("resume") if isinstance(cursor.get("resume"), dict) else {}
    token = text(resume.get("token")) or None
    pending = Mark.from_json(resume["pending"]) if resume else floor
    low = Mark.from_json(resume["low"]) if ordered and resume.get("low") else None
    posts: list[Post] = []
    pages, done, retry_at = 0, False, None
    while pages < max(1, max_pages):
        page = load(token, floor)
        pages += 1
        fresh, stale = _split(page.posts, floor, low, judge)
        posts.extend(fresh)
        judged = [p for p in fresh if judge(p)]
        pending = pending.advance(judged)
        low = _lowest(low, judged) if ordered else None
        token, retry_at = page.next_token, page.retry_at
        if (ordered and stale) or not token or not page.posts:
            done = True
            break
        if retry_at is not None:
            break
    return FetchResult(posts, _next_cursor(floor, pending, low, token, done, retry_at), pages)


def _split(page_posts: list[Post], floor: Mark, low: Mark | None,
           judge: Callable[[Post], bool]) -> tuple[list[Post], bool]:
    fresh: list[Post] = []
    kept_threads: set[str] = set()
    stale = False
    for post in page_posts:
        if judge(post):
            if not floor.is_new(post):
                stale = True
            elif low is None or _below(low, post):
                fresh.append(post)
                kept_threads.add(post.thread_id)
            # else: returned earlier in this walk; offset-paged APIs shift it onto a later page
        elif post.thread_id in kept_threads:
            fresh.append(post)
    return fresh, stale


def _below(low: Mark, post: Post) -> bool:
    ts = post.posted_at.timestamp()
    return ts < low.ts or (ts == low.ts and post.external_id not in low.ids)


def _lowest(low: Mark | None, posts: list[Post]) -> Mark | None:
    """The oldest point already returned in this walk (time, and the ids at that time)."""
    for post in posts:
        ts = post.posted_at.timestamp()
        if low is None or ts < low.ts:
            low = Mark(ts, (post.external_id,))
        elif ts == low.ts:
            low = Mark(ts, tuple(sorted({*low.ids, post.external_id})))
    return low


def _next_cursor(floor: Mark, pending: Mark, low: Mark | None, token: str | None, done: bool,
                 retry_at: float | None) -> dict[str, Any]:
    if done:
        cursor: dict[str, Any] = {"mark": pending.to_json()}
    else:
        cursor = {"mark": floor.to_json(), "resume": {"token": token, "pending": pending.to_json(),
                                                      "low": low.to_json() if low else None}}
    if retry_at is not None:
        cursor["wait_until"] = retry_at
    return cursor


def read_targets(targets: Iterable[str], cursor: dict[str, Any] | None,
                 read_one: Callable[[str, dict[str, Any] | None], FetchResult]) -> FetchResult:
    """Poll several targets (pages, channels, subreddits, tags) with one sub-cursor each, so one
    target's progress never moves another's mark."""
    previous = (cursor or {}).get("targets")
    previous = previous if isinstance(previous, dict) else {}
    posts: list[Post] = []
    cursors: dict[str, Any] = {}
    pages = 0
    for target in targets:
        result = read_one(target, previous.get(target))
        posts.extend(result.posts)
        cursors[target] = result.cursor
        pages += result.pages_read
    return FetchResult(posts, {"targets": cursors}, pages)


def thread_cursor(cursor: dict[str, Any] | None) -> dict[str, Any]:
    """The cursor a thread re-read starts from. The first re-read of a thread (no cursor yet) takes
    every comment, whatever `backfill_hours` says: a tracked thread is already known to matter."""
    return cursor if cursor else {"mark": Mark(0.0).to_json()}


def with_root(root: Post | None, comments: FetchResult) -> FetchResult:
    """A thread re-read: the thread start (fresh engagement) first, then its new comments."""
    posts = ([root] if root is not None else []) + [p for p in comments.posts if p is not root]
    return FetchResult(posts, comments.cursor, comments.pages_read)
