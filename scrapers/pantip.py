"""Pantip scraper (kind "pantip"): new topics of rooms, tags and keyword searches, with their comments.

Reads the source options `rooms`, `tags`, `keywords`, `base_url`, `max_pages`, `backfill_hours`,
`comments`, `max_comment_pages`, `max_reply_requests`, `reply_sweep_every`, `page_size`, `ptauthorize`.

Listings are newest-first and paged by `next_id`; a listing stops at the newest topic seen last run,
or at the backfill window (on the scraper's clock) on the first run. The cursor keeps, per listing, the
newest topic id and any paging still in progress, so a run cut short (page limit, error, restart) resumes
from the next page without a gap or a duplicate. It also keeps the topics whose page failed: the listing has
moved past them, so each is read again (with its comments) on the next runs, up to `MAX_TOPIC_TRIES` times.
How far each topic's comments were read is handed to the listener in `FetchResult.threads`, the cursor the
thread tracker continues from. Parsing lives in `pantip_parse` / `pantip_html`; comment and reply paging
in `pantip_comments`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from scrapers.base import Clock, FetchResult, Post, ScrapeError, wall_clock
from scrapers.http import HttpClient
from scrapers.pantip_comments import CommentReader, ThreadProgress
from scrapers.pantip_html import TopicDeleted, parse_topic_html
from scrapers.pantip_parse import TopicList, parse_search, parse_topic_list

log = logging.getLogger(__name__)

MAX_TOPIC_TRIES = 3  # reads of a topic page that keeps failing before only the listing's title is kept
MAX_RETRY_TOPICS = 200  # topics waiting for another try, per source; the oldest are given up first


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
    reply_sweep_every: int = 6  # every Nth re-read of a topic also revisits one earlier comment page; 0: never
    page_size: int = 50
    # The constant Pantip's own web front-end sends; public, but Pantip may change it.
    ptauthorize: str = "Basic dGVzdGVyOnRlc3Rlcg=="


class PantipScraper:
    kind: ClassVar[str] = "pantip"
    Options: ClassVar[type] = PantipOptions

    def __init__(self, name: str, options: PantipOptions, http: HttpClient, *, clock: Clock = wall_clock) -> None:
        self.name, self.options, self.http, self.clock = name, options, http, clock
        self._base = options.base_url.rstrip("/")
        self._comments = CommentReader(http, self._base, name, max_pages=options.max_comment_pages,
                                       max_reply_requests=options.max_reply_requests,
                                       sweep_every=options.reply_sweep_every)

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        state = _copy_cursor(cursor)
        result = FetchResult([], state)
        retry_now = list(state["retry"])  # failed on an earlier run; those failing in this one wait for the next
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
        self._retry_topics(retry_now, state["retry"], result)
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
        comments = self._comments.read(thread_id, progress, result, reread=True)
        result.posts.insert(0, page.to_post(self.name, self._base, comments=comments.count if comments else None))
        result.pages_read += 1
        result.cursor = progress.to_cursor()
        return result

    # Listings -------------------------------------------------------------------------------

    def _read_listing(self, key: str, state: dict[str, Any], result: FetchResult) -> list[Post]:
        """Topics newer than `state["newest"]`, resuming unfinished paging; updates `state` page by page."""
        paging = state.get("paging") or {"next_id": None, "top": None, "stop_at": state.get("newest"), "page": 1}
        cutoff = self.clock() - timedelta(hours=self.options.backfill_hours)
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
            tid = listed.external_id
            if not self.options.comments:
                result.posts.append(listed)
            elif tid in result.threads or tid in state["retry"]:
                continue  # listed twice in one run (a room and a tag): read once
            elif not self._read_topic(tid, result, listed.engagement.comments):
                # The listing already moved past this topic: keep what it said about the topic now,
                # and read the page and its comments again on the next run.
                state["retry"][tid] = 1
                if not any(p.external_id == tid for p in result.posts):
                    result.posts.append(listed)
        _bound(state["retry"])

    def _retry_topics(self, tids: list[str], retry: dict[str, int], result: FetchResult) -> None:
        """Topic pages that failed on earlier runs, read again with their comments; given up after a few tries."""
        for tid in tids:
            if tid not in retry:
                continue
            if self._read_topic(tid, result, None):
                del retry[tid]
            elif retry[tid] + 1 >= MAX_TOPIC_TRIES:
                del retry[tid]
                log.warning("pantip %s: topic %s failed %d times; only its listing title is kept",
                            self.name, tid, MAX_TOPIC_TRIES)
                result.errors.append(f"topic {tid}: given up after {MAX_TOPIC_TRIES} tries")
            else:
                retry[tid] += 1

    def _read_topic(self, tid: str, result: FetchResult, listed_comments: int | None) -> bool:
        """One topic's page and comments into `result`; False when either could not be read this time."""
        try:
            page = parse_topic_html(self._topic_page(tid), tid)
        except TopicDeleted as gone:
            log.info("pantip %s: topic %s deleted (%s)", self.name, gone.tid, gone.reason)
            return True
        except ScrapeError as exc:
            return _failed(exc, tid, result)
        progress, comments = ThreadProgress(), FetchResult([], {})
        first, failure = None, None
        try:
            first = self._comments.read(tid, progress, comments)
        except ScrapeError as exc:
            failure = exc  # the page itself was read: keep it, and try the comments again next run
        total = listed_comments if listed_comments is not None else (first.count if first else None)
        result.posts += [page.to_post(self.name, self._base, comments=total), *comments.posts]
        result.pages_read += 1 + comments.pages_read
        result.errors += comments.errors
        if failure is not None:
            return _failed(failure, tid, result)
        result.threads[tid] = progress.to_cursor()
        return True

    def _topic_page(self, tid: str) -> str:
        return self.http.get(f"{self._base}/topic/{tid}", conditional=False).text()


def _copy_cursor(cursor: dict[str, Any] | None) -> dict[str, Any]:
    # Cursors written before thread cursors were kept per thread carried them under "topics": the store's
    # migration moved those out, so they are dropped here.
    cursor = cursor or {}
    return {"listings": {k: dict(v) for k, v in (cursor.get("listings") or {}).items()},
            "retry": {str(k): int(v) for k, v in (cursor.get("retry") or {}).items()}}


def _older(tid: str, stop_at: str | None) -> bool:
    return stop_at is not None and int(tid) <= int(stop_at)


def _newest(*ids: str | None) -> str | None:
    present = [int(i) for i in ids if i is not None]
    return str(max(present)) if present else None


def _failed(exc: ScrapeError, tid: str, result: FetchResult) -> bool:
    if exc.layout_changed:
        raise exc  # the parser no longer fits Pantip: a code change is needed, say so loudly
    result.errors.append(f"topic {tid}: {exc}")
    return False


def _bound(retry: dict[str, int]) -> None:
    for old in sorted(retry, key=int)[: max(0, len(retry) - MAX_RETRY_TOPICS)]:
        log.warning("pantip: too many topics waiting for another try; topic %s is given up", old)
        del retry[old]
