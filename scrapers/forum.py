"""Generic HTML forum scraper (kind "forum"), configured entirely by CSS selectors.

Reads the source options `base_url`, `listing_url`, `item_link`, `next_page`, `max_pages`, `backfill_hours`,
`title`, `body`, `author`, `time`, `time_attr`, `time_format`, `utc_offset_hours`, `comment`, `comment_body`,
`comment_author`, `comment_time`, `lang`. A new forum with server-rendered pages is a config entry,
not code: the listing page gives topic links, each topic page gives the post and, optionally, its
comments. Topic URLs seen are kept in the cursor (bounded), since listings have no stable ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import urljoin

from scrapers.base import Clock, FetchResult, Post, ScrapeError, wall_clock
from scrapers.html import Tag, attr_of, parse_html, select_one_text
from scrapers.http import HttpClient

log = logging.getLogger(__name__)

SEEN_LIMIT = 2000


@dataclass
class ForumOptions:
    base_url: str = ""
    listing_url: str = "/"  # relative to base_url, or absolute
    item_link: str = "a"  # selector of topic links on the listing page
    next_page: str = ""  # selector of the "older" link; empty = one listing page
    max_pages: int = 3
    backfill_hours: float | None = None  # first run only: skip posts older than this (None: all listed)
    title: str = "h1"
    body: str = "article"
    author: str = ""
    time: str = ""  # selector of the element holding the post time
    time_attr: str = ""  # attribute with the time (e.g. "datetime", "data-utime"); empty = element text
    time_format: str = ""  # strptime format; empty = ISO-8601
    utc_offset_hours: float = 0.0  # zone of times without an offset (Bangkok = 7)
    comment: str = ""  # selector of each comment container; empty = no comments
    comment_body: str = ""
    comment_author: str = ""
    comment_time: str = ""
    lang: str | None = None


class ForumScraper:
    kind: ClassVar[str] = "forum"
    Options: ClassVar[type] = ForumOptions

    def __init__(self, name: str, options: ForumOptions, http: HttpClient, *, clock: Clock = wall_clock) -> None:
        self.name, self.options, self.http = name, options, http
        self.clock = clock

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        seen = list((cursor or {}).get("seen") or [])
        result = FetchResult([], {"seen": seen})
        known = set(seen)
        for link in self._topic_links(result):
            if link in known:
                continue
            result.posts.extend(self._read_topic(link))
            known.add(link)
            seen.append(link)
        del seen[:-SEEN_LIMIT]
        if cursor is None and self.options.backfill_hours is not None:  # the first run's window
            since = datetime.now(timezone.utc) - timedelta(hours=self.options.backfill_hours)
            result.posts = [p for p in result.posts if p.posted_at >= since]
        return result

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        """Re-read one topic page (thread_id is its URL): the topic with fresh counts, then the comments
        whose ids are not in `cursor["comments"]` (the last `SEEN_LIMIT` comment ids returned)."""
        seen = [str(i) for i in (cursor or {}).get("comments") or []]
        known = set(seen)
        topic, *comments = self._read_topic(thread_id)
        fresh = [c for c in comments if c.external_id not in known]
        seen.extend(c.external_id for c in fresh)
        del seen[:-SEEN_LIMIT]
        return FetchResult([topic, *fresh], {"comments": seen}, pages_read=1)

    def _topic_links(self, result: FetchResult) -> list[str]:
        url: str | None = urljoin(self.options.base_url.rstrip("/") + "/", self.options.listing_url.lstrip("/"))
        links: list[str] = []
        for _ in range(self.options.max_pages):
            if not url:
                break
            page = self.http.get(url)
            result.pages_read += 1
            if page.not_modified:  # 304: this page and the older ones behind it hold nothing new
                break
            soup = parse_html(page.text())
            found = [urljoin(url, attr_of(a, "href")) for a in soup.select(self.options.item_link) if attr_of(a, "href")]
            if not found and not links:
                raise ScrapeError(f"listing has no {self.options.item_link!r} links", url=url, layout_changed=True)
            links.extend(l for l in found if l not in links)
            nxt = soup.select_one(self.options.next_page) if self.options.next_page else None
            url = urljoin(url, attr_of(nxt, "href")) if attr_of(nxt, "href") else None
        return links

    def _read_topic(self, url: str) -> list[Post]:
        return parse_topic_page(self.http.get(url, conditional=False).text(), url, self.options, self.name,
                                now=self.clock())


def parse_topic_page(body: str | bytes, url: str, options: ForumOptions, source: str,
                     now: datetime | None = None) -> list[Post]:
    """A topic page, read with the configured selectors: the topic, then its comments (an undated topic was
    posted `now`, the scraper's clock)."""
    soup = parse_html(body)
    title = select_one_text(soup, options.title)
    text = select_one_text(soup, options.body)
    if not title and not text:
        raise ScrapeError("topic page matches neither title nor body selector", url=url, layout_changed=True)
    posted = _time(soup, options.time, url, options, now)
    topic = Post(source=source, kind=ForumScraper.kind, external_id=url, thread_id=url, url=url, title=title,
                 text=text or title, author=select_one_text(soup, options.author) if options.author else "",
                 posted_at=posted, lang=options.lang, raw_ref=url)
    return [topic] + _comments(soup, url, posted, options, source)


def _comments(soup: Tag, url: str, fallback: datetime, options: ForumOptions, source: str) -> list[Post]:
    if not options.comment:
        return []
    posts = []
    for number, element in enumerate(soup.select(options.comment), start=1):
        text = select_one_text(element, options.comment_body)
        if not text:
            continue
        anchor = attr_of(element, "id") or f"c{number}"
        posts.append(Post(
            source=source, kind=ForumScraper.kind, external_id=f"{url}#{anchor}", thread_id=url,
            url=f"{url}#{anchor}", title="", text=text,
            author=select_one_text(element, options.comment_author) if options.comment_author else "",
            posted_at=_time(element, options.comment_time, url, options, fallback), lang=options.lang,
            parent_id=url, is_thread_start=False, raw_ref=url))
    return posts


def _time(root: Tag, selector: str, url: str, options: ForumOptions, fallback: datetime | None = None) -> datetime:
    element = root.select_one(selector) if selector else None
    if element is None:
        return fallback or datetime.now(timezone.utc)  # no time on the page: treat as seen now
    raw = attr_of(element, options.time_attr) if options.time_attr else ""
    raw = (raw or element.get_text(strip=True)).strip()
    try:
        parsed = (datetime.strptime(raw, options.time_format) if options.time_format
                  else datetime.fromisoformat(raw.replace("Z", "+00:00")))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone(timedelta(hours=options.utc_offset_hours)))
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:  # OverflowError: year 1 at a positive offset has no UTC form
        raise ScrapeError(f"time {raw!r} does not match {options.time_format or 'ISO-8601'}",
                          url=url, layout_changed=True) from exc
