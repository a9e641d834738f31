"""RSS/Atom scraper (kind "rss"), also the parser behind Google News (the only home of `feedparser`).

Reads the source options `urls`, `base_url` (a prefix for relative `urls`, so tests can point
the source at a local server) and `backfill_hours` (the first read of a feed skips older entries).
Feeds are fetched with conditional GET, so an unchanged feed costs a 304 and yields nothing; entries are keyed by `id`/`guid` (falling back to the link) and the cursor
remembers the ids seen per feed, because feeds have no paging and re-list the same entries each run.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import feedparser

from scrapers.base import Clock, FetchResult, Post, ScrapeError, wall_clock
from scrapers.html import html_to_text
from scrapers.http import HttpClient

log = logging.getLogger(__name__)

SEEN_PER_FEED = 1000  # remembered entry ids per feed; feeds list far fewer entries than this


def parse_feed(body: bytes | str, source: str, kind: str = "rss", url: str = "",
               now: datetime | None = None) -> list[Post]:
    """Entries of an RSS 0.9x/1.0/2.0 or Atom document as Posts (newest first as the feed lists them);
    an undated entry is dated `now` (the wall clock when not given)."""
    try:
        feed = feedparser.parse(body.encode("utf-8") if isinstance(body, str) else body)
    except Exception as exc:  # feedparser wraps many parsers; any failure means "not a feed"
        raise ScrapeError(f"feed could not be parsed: {exc}", url=url) from exc
    if not feed.get("version") and not feed.entries:
        raise ScrapeError("not an RSS/Atom feed", url=url, layout_changed=bool(feed.get("bozo")))
    lang = _language(feed.feed.get("language"))
    posts = []
    for entry in feed.entries:
        post = _entry_post(entry, source, kind, url, lang, now or datetime.now(timezone.utc))
        if post is not None:
            posts.append(post)
    return posts


def _entry_post(entry: Any, source: str, kind: str, url: str, lang: str | None, now: datetime) -> Post | None:
    link = str(entry.get("link") or "")
    title = html_to_text(str(entry.get("title") or ""))
    key = str(entry.get("id") or link or "")
    if not key and not title:
        return None
    if not key:
        key = "sha1:" + hashlib.sha1(title.encode("utf-8")).hexdigest()
    summary = entry.get("summary") or (entry.get("content") or [{}])[0].get("value", "")
    source_title = (entry.get("source") or {}).get("title", "")
    return Post(
        source=source, kind=kind, external_id=key, thread_id=key, url=link, title=title,
        text=html_to_text(str(summary)) or title, author=str(entry.get("author") or source_title or ""),
        posted_at=_published(entry, now), lang=_language(entry.get("language")) or lang,
        tags=tuple(str(t.get("term")) for t in entry.get("tags") or [] if t.get("term")), raw_ref=url)


def _published(entry: Any, now: datetime) -> datetime:
    # feedparser normalises every date format it knows into a UTC struct_time.
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return now  # undated entry: treat it as seen now
    return datetime.fromtimestamp(calendar.timegm(parsed), timezone.utc)


def _language(code: object) -> str | None:
    return str(code).split("-")[0].lower() if code else None


@dataclass
class RssOptions:
    urls: list[str] = field(default_factory=list)
    base_url: str = ""  # prefix for relative urls
    backfill_hours: float | None = None  # first read of each feed: skip entries older than this (None: all)


class RssScraper:
    kind: ClassVar[str] = "rss"
    Options: ClassVar[type] = RssOptions

    def __init__(self, name: str, options: RssOptions, http: HttpClient, *, clock: Clock = wall_clock) -> None:
        self.name, self.options, self.http = name, options, http
        self.clock = clock

    def feed_urls(self) -> list[str]:
        return [self.options.base_url.rstrip("/") + u if u.startswith("/") else u for u in self.options.urls]

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        seen: dict[str, list[str]] = {k: list(v) for k, v in ((cursor or {}).get("seen") or {}).items()}
        result = FetchResult([], {"seen": seen})
        failures = []
        for url in self.feed_urls():
            try:
                self._read_feed(url, seen, result)
            except ScrapeError as exc:
                log.warning("%s %s: %s", self.kind, url, exc)
                failures.append(exc)
                result.errors.append(f"{url}: {exc}")
        if failures and len(failures) == len(self.feed_urls()):
            raise failures[0]
        return result

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        # A feed entry has no comments to follow; the thread tracker gets nothing new.
        return FetchResult([], dict(cursor or {}))

    def _read_feed(self, url: str, seen: dict[str, list[str]], result: FetchResult) -> None:
        answer = self.http.get(url)
        result.pages_read += 1
        if answer.not_modified:
            return
        first_read = url not in seen
        known = seen.setdefault(url, [])
        known_set = set(known)
        hours = self.options.backfill_hours
        since = self.clock() - timedelta(hours=hours) if first_read and hours is not None else None
        for post in parse_feed(answer.content, self.name, self.kind, url, now=self.clock()):
            if post.external_id in known_set:
                continue
            known_set.add(post.external_id)
            known.append(post.external_id)  # remembered even when too old, so it is never read as new later
            if since is None or post.posted_at >= since:
                result.posts.append(post)
        del known[:-SEEN_PER_FEED]
