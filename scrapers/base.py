"""Types every scraper shares: the `Post` it returns, the cursor it resumes from, its error type.

A scraper is `fetch(cursor) -> FetchResult`: it reads what is new since `cursor` and returns the posts
plus the cursor to resume from next time. All parsing lives in pure `parse_*` functions that raise only
`ScrapeError` (or return posts), so they can be tested on captured pages without a network.

Every scraper is given the listener's clock (`Clock`): backfill windows and "seen now" times come from it,
never from the wall clock, so a replay on a simulated clock sees the time it simulates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Protocol

Clock = Callable[[], datetime]  # returns the current time, timezone-aware UTC


def wall_clock() -> datetime:
    """The default `Clock` of a scraper built outside the listener (a script, a test)."""
    return datetime.now(timezone.utc)


class ScrapeError(Exception):
    """A page or API answer could not be read: wrong shape, bad encoding, truncated body, layout change.

    `layout_changed` is true when the page arrived but no longer matches the parser (selectors found
    nothing), which health reporting treats differently from a network error.
    """

    def __init__(self, message: str, *, url: str = "", layout_changed: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.layout_changed = layout_changed


@dataclass(frozen=True)
class Engagement:
    """Counters read from the source at `Post.read_at`; None means the source does not expose it."""

    comments: int | None = None
    likes: int | None = None
    shares: int | None = None
    views: int | None = None
    reactions: int | None = None  # total of all emotion/reaction kinds
    reaction_kinds: tuple[tuple[str, int], ...] = ()  # e.g. (("like", 3), ("laugh", 1))


@dataclass(frozen=True)
class Post:
    """One post, comment or reply, as read from a source.

    `(source, external_id)` is the dedupe key. `thread_id` groups a topic with its comments so
    incidents follow whole threads; for a top-level post it equals `external_id`.
    """

    source: str  # the configured source name (e.g. "pantip-mobile-rooms")
    kind: str  # the scraper kind (e.g. "pantip")
    external_id: str
    thread_id: str
    url: str
    title: str
    text: str
    author: str
    posted_at: datetime  # timezone-aware, UTC
    lang: str | None = None  # when the source states it; otherwise the model detects it
    engagement: Engagement = field(default_factory=Engagement)
    # When the counters were read; None: the listener stamps the time its fetch returned, on its own clock.
    read_at: datetime | None = None
    parent_id: str | None = None  # for comments and replies: the id they answer
    is_thread_start: bool = True  # False for comments and replies
    tags: tuple[str, ...] = ()
    raw_ref: str = ""  # where the raw item came from (URL of the page/API call)


@dataclass
class FetchResult:
    posts: list[Post]
    cursor: dict[str, Any]  # JSON-serialisable; stored by the listener and handed back next time
    pages_read: int = 0
    # Errors met after some progress: the posts and cursor above are still good (a listing that
    # failed on page 3 keeps pages 1-2 and resumes from page 3 next time); the listener counts these.
    errors: list[str] = field(default_factory=list)
    # Threads whose comments this fetch read, with the cursor `fetch_thread` continues them from; the
    # listener keeps one cursor per thread, so the tracker's first re-read does not start again.
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)


class Scraper(Protocol):
    """What the listener needs from a scraper; concrete scrapers live one per module.

    Built as `Cls(name, options, http, clock=clock)`."""

    kind: ClassVar[str]
    clock: Clock

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        """Read what is new since `cursor` (None on the first run: a bounded backfill)."""
        ...

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        """Re-read one thread (for the thread tracker): its current engagement and new comments."""
        ...
