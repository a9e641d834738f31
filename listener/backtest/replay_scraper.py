"""A Pantip source that serves one replayed thread from memory: the scraper interface the pipeline uses
(`fetch` for the listing poll of `ingest_source`, `fetch_thread` for the thread tracker), with the ids, thread
cursor, engagement and request counts the real Pantip scraper gives, and only the comments posted by the
simulated now.

Like scrapers/pantip.py: a listing poll returns topics newer than the listing's newest seen, each with its page
and its first `max_comment_pages` pages of comments, and hands the tracker a thread cursor; a re-read asks for
the topic page and the comment pages from the one holding comment N+1, `max_comment_pages` at most, plus one
earlier page every `reply_sweep_every`-th re-read. Comment k is `"<tid>#k"`; replayed comments have no replies.
Every read is recorded (time, replies visible) so baselines can be judged on the very same reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, ClassVar

from scrapers.base import Engagement, FetchResult, Post
from scrapers.pantip_comments import COMMENTS_PER_PAGE

from listener.backtest.curves import ReplayThread

SITE = "https://pantip.com"
LISTING = "replay"


@dataclass
class Read:
    at: datetime
    visible: int  # replies posted by then
    requests: int


@dataclass
class ReplayScraper:
    name: str
    thread: ReplayThread
    clock: Callable[[], datetime]
    max_comment_pages: int = 3
    reply_sweep_every: int = 6
    reads: list[Read] = field(default_factory=list)
    kind: ClassVar[str] = "pantip"
    http: ClassVar[Any] = None  # no HTTP validators to keep

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        state = {"listings": dict((cursor or {}).get("listings") or {}), "retry": {}}
        listing = dict(state["listings"].get(LISTING) or {})
        result = FetchResult([], state, pages_read=1)
        thread, now = self.thread, self.clock()
        newest = listing.get("newest")
        if thread.root_at <= now and (newest is None or int(thread.tid) > int(newest)):
            visible = thread.visible(now)
            pages = max(1, -(-visible // COMMENTS_PER_PAGE))
            served = min(visible, self.max_comment_pages * COMMENTS_PER_PAGE)
            read = min(pages, self.max_comment_pages)
            result.posts = [self._topic(visible), *self._comments(0, served)]
            result.pages_read += 1 + read
            result.threads[thread.tid] = {"comments": served, "replies": {}, "reads": 0, "sweep": 0}
            listing["newest"] = thread.tid
            self.reads.append(Read(now, visible, 1 + read))
        state["listings"][LISTING] = listing
        return result

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        if thread_id != self.thread.tid:
            raise LookupError(f"topic {thread_id} is not replayed here")
        cursor = cursor or {}
        seen, reads = int(cursor.get("comments", 0)), int(cursor.get("reads", 0)) + 1
        now = self.clock()
        visible = self.thread.visible(now)
        start = seen // COMMENTS_PER_PAGE + 1
        last = max(1, -(-visible // COMMENTS_PER_PAGE))
        pages = min(self.max_comment_pages, max(1, last - start + 1))
        served = max(seen, min(visible, (start - 1 + pages) * COMMENTS_PER_PAGE))
        sweep = int(start > 1 and self.reply_sweep_every > 0 and reads % self.reply_sweep_every == 0
                    and pages < self.max_comment_pages)
        posts = [self._topic(visible), *self._comments(seen, served)]
        self.reads.append(Read(now, visible, 1 + pages + sweep))
        return FetchResult(posts, {"comments": served, "replies": {}, "reads": reads, "sweep": 0},
                           pages_read=1 + pages + sweep)

    def _topic(self, comments: int) -> Post:
        thread = self.thread
        return Post(source=self.name, kind=self.kind, external_id=thread.tid, thread_id=thread.tid,
                    url=f"{SITE}/topic/{thread.tid}", title=thread.root_text, text=thread.root_text,
                    author="replay-owner", posted_at=thread.root_at, lang="th",
                    engagement=Engagement(comments=comments, likes=0, reactions=0), raw_ref=f"{SITE}/topic/{thread.tid}")

    def _comments(self, after: int, upto: int) -> list[Post]:
        thread = self.thread
        return [Post(source=self.name, kind=self.kind, external_id=f"{thread.tid}#{no}", thread_id=thread.tid,
                     url=f"{SITE}/topic/{thread.tid}/comment{no}", title="", text=thread.comment_text(no),
                     author=f"replay-member-{no}", posted_at=thread.reply_at(no), lang="th",
                     engagement=Engagement(comments=0, likes=0, reactions=0), parent_id=thread.tid,
                     is_thread_start=False, raw_ref=f"render_comments?tid={thread.tid}")
                for no in range(after + 1, upto + 1)]
