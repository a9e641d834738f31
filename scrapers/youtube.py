"""YouTube Data API v3: comment threads on the brand's channel(s) and on chosen videos.

Options: `channel_ids` (every thread related to the channel: `allThreadsRelatedToChannelId`),
`video_ids`, `search_terms` (server-side filter, optional), `key_env` (name of the env var with the
API key), `base_url`, `backfill_hours`, `max_pages`, `page_size` (≤ 100).

Quota: `commentThreads.list` and `comments.list` cost 1 unit each (10,000/day by default), so one
poll of a target costs at most `max_pages` units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from scrapers.base import Clock, Engagement, FetchResult, Post, ScrapeError, wall_clock
from scrapers.http import HttpClient
from scrapers.social import (Mark, Page, as_dict, as_list, count, dig, html_text, load_json, read_new,
                             read_targets, require_env, required_id, text, utc_from_iso, thread_cursor, with_root)

KIND = "youtube"


def parse_comment(item: Any, *, source: str, thread_id: str = "", raw_ref: str = "",
                  read_at: datetime | None = None, replies: int | None = None) -> Post:
    """One `youtube#comment` resource (a top-level comment or a reply)."""
    item = as_dict(item, "youtube comment", raw_ref)
    comment_id = required_id(item, "id", "youtube comment", raw_ref)
    snip = as_dict(item.get("snippet"), "youtube comment snippet", raw_ref)
    parent = text(snip.get("parentId"))
    thread = thread_id or parent or comment_id
    video = text(snip.get("videoId"))
    return Post(
        source=source, kind=KIND, external_id=comment_id, thread_id=thread,
        url=(f"https://www.youtube.com/watch?v={video}&lc={comment_id}" if video
             else f"https://www.youtube.com/channel/{text(snip.get('channelId'))}"),
        title="",
        # textOriginal is the author's plain text; textDisplay is HTML and only a fallback.
        text=text(snip.get("textOriginal")) or html_text(snip.get("textDisplay")),
        author=text(snip.get("authorDisplayName")),
        posted_at=utc_from_iso(snip.get("publishedAt"), "publishedAt", raw_ref),
        engagement=Engagement(comments=replies, likes=count(snip.get("likeCount"))),
        read_at=read_at,
        parent_id=parent or None,
        is_thread_start=not parent, tags=(f"video:{video}",) if video else (), raw_ref=raw_ref)


def parse_comment_threads(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A `commentThreads.list` page (`part=snippet,replies`) → thread starts, each followed by its
    inline replies (at most 5; `fetch_thread` reads the rest), and `nextPageToken`."""
    data = as_dict(load_json(body, raw_ref), "youtube commentThreads", raw_ref)
    posts: list[Post] = []
    for raw in as_list(data.get("items", []), "youtube items", raw_ref):
        item = as_dict(raw, "youtube commentThread", raw_ref)
        thread_id = required_id(item, "id", "youtube commentThread", raw_ref)
        top = dig(item, "snippet", "topLevelComment")
        posts.append(parse_comment(top, source=source, thread_id=thread_id, raw_ref=raw_ref, read_at=read_at,
                                   replies=count(dig(item, "snippet", "totalReplyCount"))))
        for reply in as_list(dig(item, "replies", "comments") or [], "youtube replies", raw_ref):
            posts.append(parse_comment(reply, source=source, thread_id=thread_id, raw_ref=raw_ref,
                                       read_at=read_at))
    return Page(posts, text(data.get("nextPageToken")) or None)


def parse_comments(body: Any, *, source: str, thread_id: str, raw_ref: str = "",
                   read_at: datetime | None = None) -> Page:
    """A `comments.list?parentId=` page → the replies of one thread."""
    data = as_dict(load_json(body, raw_ref), "youtube comments", raw_ref)
    posts = [parse_comment(item, source=source, thread_id=thread_id, raw_ref=raw_ref, read_at=read_at)
             for item in as_list(data.get("items", []), "youtube items", raw_ref)]
    return Page(posts, text(data.get("nextPageToken")) or None)


class YoutubeScraper:
    """Polls comment threads of channels and videos, newest first (`order=time`)."""

    kind: ClassVar[str] = KIND

    @dataclass
    class Options:
        channel_ids: list[str] = field(default_factory=list)
        video_ids: list[str] = field(default_factory=list)
        search_terms: str = ""
        key_env: str = "YOUTUBE_API_KEY"
        base_url: str = "https://www.googleapis.com/youtube/v3"
        backfill_hours: float = 24.0
        max_pages: int = 5
        page_size: int = 100

    def __init__(self, name: str, options: "YoutubeScraper.Options", http: HttpClient, *,
                 clock: Clock = wall_clock) -> None:
        if not (options.channel_ids or options.video_ids):
            raise ScrapeError(f"source {name!r}: set 'channel_ids' or 'video_ids'")
        self.name, self.options, self.http = name, options, http
        self.clock = clock
        # Google APIs accept the key in a header, which keeps it out of logged URLs.
        self._auth = {"X-Goog-Api-Key": require_env(options.key_env, name, "YouTube Data API key")}
        self._base = options.base_url.rstrip("/")

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        targets = [f"channel:{c}" for c in self.options.channel_ids] + [f"video:{v}" for v in self.options.video_ids]
        return read_targets(targets, cursor, self._fetch_target)

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        url = f"{self._base}/commentThreads"
        page = parse_comment_threads(self._get(url, {"part": "snippet", "id": thread_id}),
                                     source=self.name, raw_ref=url)
        root = next((p for p in page.posts if p.is_thread_start), None)

        def load(token: str | None, mark: Mark) -> Page:
            params = {"part": "snippet", "parentId": thread_id, "maxResults": 100, "textFormat": "plainText"}
            if token:
                params["pageToken"] = token
            return parse_comments(self._get(f"{self._base}/comments", params), source=self.name,
                                  thread_id=thread_id, raw_ref=f"{self._base}/comments")
        # comments.list has no time order, so every page is read and filtered by the mark.
        replies = read_new(load, thread_cursor(cursor), backfill_hours=self.options.backfill_hours,
                           max_pages=self.options.max_pages, ordered=False, judge=lambda post: True, now=self.clock())
        return with_root(root, replies)

    def _fetch_target(self, target: str, cursor: dict[str, Any] | None) -> FetchResult:
        what, ident = target.split(":", 1)
        url = f"{self._base}/commentThreads"

        def load(token: str | None, mark: Mark) -> Page:
            params: dict[str, Any] = {"part": "snippet,replies", "order": "time", "textFormat": "plainText",
                                      "maxResults": self.options.page_size}
            params["allThreadsRelatedToChannelId" if what == "channel" else "videoId"] = ident
            if self.options.search_terms:
                params["searchTerms"] = self.options.search_terms
            if token:
                params["pageToken"] = token
            return parse_comment_threads(self._get(url, params), source=self.name, raw_ref=url)
        return read_new(load, cursor, backfill_hours=self.options.backfill_hours, max_pages=self.options.max_pages,
                        now=self.clock())

    def _get(self, url: str, params: dict[str, Any]) -> Any:
        return self.http.get(url, params=params, headers=self._auth, conditional=False).json()
