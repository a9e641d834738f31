"""Pantip scraper (kind "pantip"): new topics of rooms, tags and keyword searches, with their comments.

Reads the source options `rooms`, `tags`, `keywords`, `base_url`, `max_pages`, `backfill_hours`,
`comments`, `max_comment_pages`, `max_reply_requests`, `page_size`, `ptauthorize`.

Listings are newest-first and paged by `next_id`; a listing stops at the newest topic seen last run,
or at the backfill window on the first run. The cursor keeps, per listing, the newest topic id and
any paging still in progress, so a run cut short (page limit, error, restart) resumes from the next
page without a gap or a duplicate. Parsing lives in `pantip_parse` / `pantip_html`; comment and reply
paging in `pantip_comments`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from scrapers.base import FetchResult, Post, ScrapeError
from scrapers.http import HttpClient
from scrapers.pantip_comments import CommentReader, ThreadProgress
from scrapers.pantip_html import TopicDeleted, parse_topic_html
from scrapers.pantip_parse import TopicList, parse_search, parse_topic_list

log = logging.getLogger(__name__)

MAX_TRACKED_TOPICS = 500  # comment counters kept in the cursor; older topics go to the thread tracker


@dataclass
class PantipOptions:
    rooms: list[str] = field(default_factory=list)  # room slugs, e.g. "mbk", "sinthorn"
    tags: list[str] = field(default_factory=list)  # tag names, e.g. "ทรูมูฟ เอช"
    keywords: list[str] = field(default_factory=list)  # search-service queries
    base_url: str = "https://pantip.com"
    max_pages: int = 5  # listing pages per listing per run
    backfill_hours: float = 24.0  # how far back the first run reads
    comments: bool = True  # read topic pages and comments of new topics
    max_comment_pages: int = 3  # 100 comments a page
    max_reply_requests: int = 10  # render_replys calls per topic per run, for replies beyond the five inline
    page_size: int = 50
    # The constant Pantip's own web front-end sends; public, but Pantip may change it.
    ptauthorize: str = "Basic dGVzdGVyOnRlc3Rlcg=="


class PantipScraper:
    kind: ClassVar[str] = "pantip"
    Options: ClassVar[type] = PantipOptions

    def __init__(self, name: str, options: PantipOptions, http: HttpClient) -> None:
        self.name, self.options, self.http = name, options, http
        self._base = options.base_url.rstrip("/")
        self._comments = CommentReader(http, self._base, name, max_pages=options.max_comment_pages,
                                       max_reply_requests=options.max_reply_requests)

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        state = _copy_cursor(cursor)
        result = FetchResult([], state)
        listings = [f"room:{r}" for r in self.options.rooms] + [f"tag:{t}" for t in self.options.tags]
        listings += [f"search:{k}" for k in self.options.keywords]
        failures: list[ScrapeError] = []
        for key in listings:
            try:
                new_topics = self._read_listing(key, state["listings"].setdefault(key, {}), result)
                self._read_topics(new_topics, state, result)
            except ScrapeError as exc:
                if exc.layout_changed:
                    raise  # the parser no longer fits Pantip: a code change is needed, say so loudly
                log.warning("pantip %s %s: %s (%s)", self.name, key, exc, exc.url)
                failures.append(exc)
                result.errors.append(f"{key}: {exc}")
        if failures and len(failures) == len(listings):
            raise failures[0]  # nothing worked: let the listener count the source as failing
        return result

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        """Current engagement of one topic, then what is new since `cursor`: comments numbered above
        `cursor["comments"]` and replies (inline or not) above the numbers in `cursor["replies"]`.

        With no cursor the topic's comments are read from the first page, whatever `backfill_hours` says:
        a tracked thread is known to matter.
        """
        progress = ThreadProgress.from_cursor(cursor)
        result = FetchResult([], {})
        page = parse_topic_html(self._topic_page(thread_id), thread_id)
        comments = self._comments.read(thread_id, progress, result)
        result.posts.insert(0, page.to_post(self.name, self._base, comments=comments.count if comments else None))
        result.pages_read += 1
        result.cursor = progress.to_cursor()
        return result

    # Listings -------------------------------------------------------------------------------

    def _read_listing(self, key: str, state: dict[str, Any], result: FetchResult) -> list[Post]:
        """Topics newer than `state["newest"]`, resuming unfinished paging; updates `state` page by page."""
        paging = state.get("paging") or {"next_id": None, "top": None, "stop_at": state.get("newest"), "page": 1}
        cutoff = datetime.now(timezone.utc) - timedelta(hours=self.options.backfill_hours)
        found: list[Post] = []
        for _ in range(self.options.max_pages):
            try:
                listing = self._listing_page(key, paging)
            except ScrapeError as exc:
                if not found or exc.layout_changed:
                    raise
                # Keep the pages already read; the cursor resumes at the page that failed.
                result.errors.append(f"{key} page {paging['page']}: {exc}")
                break
            result.pages_read += 1
            done = listing.next_id is None
            for post in listing.posts:
                if _older(post.external_id, paging["stop_at"]) or (paging["stop_at"] is None and post.posted_at < cutoff):
                    done = True
                    break
                found.append(post)
            if paging["top"] is None and listing.posts:
                paging["top"] = max((p.external_id for p in listing.posts), key=int)
            if done:
                state.pop("paging", None)
                state["newest"] = _newest(paging["top"], paging["stop_at"])
                break
            paging.update(next_id=listing.next_id, page=paging["page"] + 1)
            state["paging"] = dict(paging)  # resume here if the run stops before the listing is done
        return found

    def _listing_page(self, key: str, paging: dict[str, Any]) -> TopicList:
        kind, _, value = key.partition(":")
        auth = {"ptauthorize": self.options.ptauthorize}
        if kind == "search":
            body = {"keyword": value, "page": paging["page"], "rooms": [], "timebias": True}
            answer = self.http.post(f"{self._base}/api/search-service/search/getresult", json=body,
                                    headers={**auth, "Origin": self._base})
            page = parse_search(answer.json(), self.name, self._base)
            return TopicList(page.posts, None if page.last_page else str(paging["page"] + 1))
        params: dict[str, Any] = {"limit": self.options.page_size}
        params["room" if kind == "room" else "tag_name"] = value
        if paging["next_id"]:
            params["next_id"] = paging["next_id"]
        path = "room_topic" if kind == "room" else "tag_topic"
        answer = self.http.get(f"{self._base}/api/forum-service/forum/{path}", params=params, headers=auth,
                               conditional=False)
        return parse_topic_list(answer.json(), self.name, self._base)

    # Topics and comments --------------------------------------------------------------------

    def _read_topics(self, topics: list[Post], state: dict[str, Any], result: FetchResult) -> None:
        for listed in topics:
            if not self.options.comments:
                result.posts.append(listed)
                continue
            try:
                page = parse_topic_html(self._topic_page(listed.external_id), listed.external_id)
                result.posts.append(page.to_post(self.name, self._base, comments=listed.engagement.comments))
                progress = ThreadProgress()
                self._comments.read(listed.external_id, progress, result)
                _track(state, listed.external_id, progress.to_cursor())
            except TopicDeleted as gone:
                log.info("pantip %s: topic %s deleted (%s)", self.name, gone.tid, gone.reason)
            except ScrapeError as exc:
                if exc.layout_changed:
                    raise
                # The listing already moved past this topic: keep what the listing said about it,
                # and leave its comments to the thread tracker.
                result.errors.append(f"topic {listed.external_id}: {exc}")
                if not any(p.external_id == listed.external_id for p in result.posts):
                    result.posts.append(listed)

    def _topic_page(self, tid: str) -> str:
        return self.http.get(f"{self._base}/topic/{tid}", conditional=False).text()


def _copy_cursor(cursor: dict[str, Any] | None) -> dict[str, Any]:
    cursor = cursor or {}
    return {"listings": {k: dict(v) for k, v in (cursor.get("listings") or {}).items()},
            "topics": dict(cursor.get("topics") or {})}


def _older(tid: str, stop_at: str | None) -> bool:
    return stop_at is not None and int(tid) <= int(stop_at)


def _newest(*ids: str | None) -> str | None:
    present = [int(i) for i in ids if i is not None]
    return str(max(present)) if present else None


def _track(state: dict[str, Any], tid: str, thread_cursor: dict[str, Any]) -> None:
    # The same shape `fetch_thread` takes, so a topic read here can be followed from where it stopped.
    topics = state["topics"]
    topics[tid] = thread_cursor
    if len(topics) > MAX_TRACKED_TOPICS:
        for old in sorted(topics, key=int)[: len(topics) - MAX_TRACKED_TOPICS]:
            del topics[old]
