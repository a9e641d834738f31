"""Reading one Pantip topic's comments and replies: `render_comments` pages and `render_replys` chains.

Reads the source options `max_comment_pages`, `max_reply_requests` and `reply_sweep_every` (handed in by
the scraper).

Progress lives in a thread cursor `{"comments": N, "replies": {"<comment_no>": R}, "reads": K, "sweep": P}`:
N is the highest comment number returned, R the highest reply number returned under a comment that has
replies, K how many times the topic was re-read and P the earlier comment page to revisit next. It is
updated page by page, so a read cut short by an error or by the page budget resumes at the first page
not yet read. Pantip shows the first five replies of a comment inline; the rest come from
`render_replys`, a bounded number of requests per read.

A re-read asks only for the page holding comment N+1 and the pages after it: that is where new comments
and the liveliest reply chains are. Replies to comments on earlier pages are rarer; every
`reply_sweep_every`-th re-read revisits one earlier page, newest first and in turn, so they are found
within a bounded number of re-reads instead of costing every re-read a walk over the whole topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapers.base import FetchResult, ScrapeError
from scrapers.http import HttpClient
from scrapers.pantip_parse import (CommentPage, CommentReplies, comment_number, parse_comments, parse_reply_page,
                                   reply_number)

COMMENTS_PER_PAGE = 100  # render_comments `paging.limit`; fixed by Pantip
MAX_TRACKED_REPLY_CHAINS = 300  # per topic; the oldest comments' reply counts are dropped first


@dataclass
class ThreadProgress:
    """How far a topic was read: the highest comment number and, per comment, the highest reply number."""

    comments: int = 0
    replies: dict[int, int] = field(default_factory=dict)
    # Cursors written before replies were tracked: their inline replies were returned already.
    inline_seen: bool = False
    reads: int = 0  # re-reads of the topic so far (the listing's first read is not one)
    sweep: int = 0  # the earlier comment page to revisit next; 0: the one just before the newest

    @classmethod
    def from_cursor(cls, cursor: dict[str, Any] | None) -> "ThreadProgress":
        cursor = cursor or {}
        replies = {int(k): int(v) for k, v in (cursor.get("replies") or {}).items()}
        comments = int(cursor.get("comments", 0))
        return cls(comments, replies, inline_seen=comments > 0 and "replies" not in cursor,
                   reads=int(cursor.get("reads", 0)), sweep=int(cursor.get("sweep", 0)))

    def seen_replies(self, comment: CommentReplies) -> int:
        if comment.comment_no > self.comments:
            return 0
        return self.replies.get(comment.comment_no, comment.shown if self.inline_seen else 0)

    def next_sweep_page(self, newest: int) -> int:
        """The earlier page (before page `newest`) to revisit now; the one after it is revisited next time."""
        page_no = self.sweep if 0 < self.sweep < newest else newest - 1
        self.sweep = page_no - 1  # 0 wraps round to the page before the newest
        return page_no

    def to_cursor(self) -> dict[str, Any]:
        kept = sorted(self.replies)[-MAX_TRACKED_REPLY_CHAINS:]
        return {"comments": self.comments, "replies": {str(no): self.replies[no] for no in kept},
                "reads": self.reads, "sweep": self.sweep}


class CommentReader:
    """Reads what is new in one topic since a `ThreadProgress`, within a page and request budget."""

    def __init__(self, http: HttpClient, base_url: str, source: str, *, max_pages: int,
                 max_reply_requests: int, sweep_every: int = 0) -> None:
        self.http, self._base, self.source = http, base_url.rstrip("/"), source
        self.max_pages, self.max_reply_requests, self.sweep_every = max_pages, max_reply_requests, sweep_every

    def read(self, tid: str, progress: ThreadProgress, result: FetchResult, *,
             reread: bool = False) -> CommentPage | None:
        """Append new comments and replies to `result`, moving `progress` page by page.

        Reads the pages from the one holding comment N+1 on (new comments matter most); a re-read that is
        due for it (see the module docstring) then revisits one earlier page with what is left of the budget.
        Returns the first page read (its `count` is the topic's comment total), None if none was read.
        """
        start = progress.comments // COMMENTS_PER_PAGE + 1
        budget = {"pages": self.max_pages, "replies": self.max_reply_requests}
        first = self._walk(tid, range(start, 10**9), progress, result, budget)
        if reread:
            progress.reads += 1
            if first is not None and start > 1 and self.sweep_every > 0 and progress.reads % self.sweep_every == 0:
                earlier = progress.next_sweep_page(start)
                self._walk(tid, range(earlier, earlier - 1, -1), progress, result, budget)
        return first

    def _walk(self, tid: str, numbers: range, progress: ThreadProgress, result: FetchResult,
              budget: dict[str, int]) -> CommentPage | None:
        first: CommentPage | None = None
        last_page = numbers.start
        for page_no in numbers:
            if budget["pages"] <= 0 or (numbers.step > 0 and page_no > last_page):
                break
            try:
                page = self._comment_page(tid, page_no)
            except ScrapeError as exc:
                if exc.layout_changed or (first is None and numbers.step > 0):
                    raise
                # Keep what earlier pages gave; the cursor resumes at this page next time.
                result.errors.append(f"topic {tid} comments page {page_no}: {exc}")
                break
            budget["pages"] -= 1
            result.pages_read += 1
            first = first or page
            last_page = page.pages
            self._take(tid, page, progress, result, budget)
        return first

    def _take(self, tid: str, page: CommentPage, progress: ThreadProgress, result: FetchResult,
              budget: dict[str, int]) -> None:
        """New comments, new inline replies and missing replies of one page; then move `progress`."""
        seen = {c.comment_no: progress.seen_replies(c) for c in page.replies}
        for post in page.posts:
            no, rno = comment_number(post.external_id), reply_number(post.external_id)
            if (rno == 0 and no > progress.comments) or (rno > 0 and rno > seen.get(no, 0)):
                result.posts.append(post)
                if rno:
                    progress.replies[no] = max(progress.replies.get(no, 0), rno)
        for comment in page.replies:
            have = max(progress.replies.get(comment.comment_no, 0), seen.get(comment.comment_no, 0))
            if comment.reply_count > have and comment.cid:
                self._more_replies(tid, comment, have, progress, result, budget)
        top = max((comment_number(p.external_id) for p in page.posts), default=0)
        progress.comments = max(progress.comments, top)

    def _more_replies(self, tid: str, comment: CommentReplies, have: int, progress: ThreadProgress,
                      result: FetchResult, budget: dict[str, int]) -> None:
        """Replies after number `have` from `render_replys`, following `lnext` while the budget lasts."""
        while have < comment.reply_count and budget["replies"] > 0:
            budget["replies"] -= 1
            try:
                page = parse_reply_page(self._replys_body(tid, comment, have), tid, comment.comment_no,
                                        self.source, self._base)
            except ScrapeError as exc:
                if exc.layout_changed:
                    raise
                result.errors.append(f"topic {tid} replies of comment {comment.comment_no}: {exc}")
                return
            result.pages_read += 1  # every request counts against the source's re-read budget
            fresh = [p for p in page.posts if reply_number(p.external_id) > have]
            if not fresh:
                return  # Pantip counted replies it no longer shows (deleted): nothing more to ask for
            result.posts.extend(fresh)
            have = max(reply_number(p.external_id) for p in fresh)
            progress.replies[comment.comment_no] = max(progress.replies.get(comment.comment_no, 0), have)
            if not page.more:
                return

    def _replys_body(self, tid: str, comment: CommentReplies, have: int) -> bytes:
        # `last` is how many replies the page already shows; Pantip answers the ones after it.
        params = {"cid": comment.cid, "last": have, "c": comment.reply_count, "ac": "n", "o": 0}
        return self.http.get(f"{self._base}/forum/topic/render_replys", params=params, headers=self._xhr(tid),
                             conditional=False).content

    def _comment_page(self, tid: str, page_no: int) -> CommentPage:
        params = {"tid": tid, "param": f"page{page_no}" if page_no > 1 else ""}
        answer = self.http.get(f"{self._base}/forum/topic/render_comments", params=params, headers=self._xhr(tid),
                               conditional=False)
        return parse_comments(answer.json(), tid, self.source, self._base)

    def _xhr(self, tid: str) -> dict[str, str]:
        return {"X-Requested-With": "XMLHttpRequest", "Referer": f"{self._base}/topic/{tid}"}
