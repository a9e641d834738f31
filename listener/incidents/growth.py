"""How fast a thread is growing, read from its engagement `Snapshot` rows and the time its topic was posted.

Reads no config. The rate is measured over the last `WINDOW` (one hour) and the acceleration compares the
latest stretch of the thread's history with the stretch before it, each at most a window long, so a thread
that suddenly takes off shows a positive acceleration before its totals look large — also in its first hour.

A thread's start counts as a reading of zero at the time it was posted (its `origin`): the first read of a
topic posted ten minutes ago that already has 30 comments says "about 120 comments an hour", not "no
growth". The origin is used while the thread is young (its whole life is inside the span growth looks at) or
when the span holds fewer than two readings; an old thread's recent pace comes from its recent readings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Sequence

from listener.store import incidents_repo

WINDOW = timedelta(hours=1)
# Rates over a very short span explode (2 comments in 1 minute = 120/h); never divide by less than this.
MIN_SPAN = timedelta(minutes=15)
COUNTERS = ("comments", "likes", "shares", "views", "reactions")


@dataclass(frozen=True)
class Growth:
    comments_per_hour: float = 0.0
    reactions_per_hour: float = 0.0
    acceleration: float = 0.0  # comments/h in the latest stretch minus comments/h in the stretch before it
    engagement: dict[str, int] = field(default_factory=dict)  # the newest counters read
    samples: int = 0

    def as_dict(self) -> dict[str, float]:
        return {"comments_per_hour": round(self.comments_per_hour, 1),
                "reactions_per_hour": round(self.reactions_per_hour, 1),
                "acceleration": round(self.acceleration, 1)}


@dataclass(frozen=True)
class _Origin:
    """The reading a thread starts with: nothing counted yet, at the time it was posted."""

    read_at: datetime
    comments: int = 0
    likes: int = 0
    shares: int = 0
    views: int = 0
    reactions: int = 0


SPAN = 3 * WINDOW  # how far back growth looks: the last window, the one before it, and a reference point


def thread_growth(session: Any, source: str, thread_id: str, now: datetime) -> Growth:
    """Growth of one thread as of `now` (snapshots read later than `now` are ignored)."""
    snaps = incidents_repo.thread_snapshots(session, source, thread_id, since=now - SPAN, until=now)
    start = incidents_repo.thread_start(session, source, thread_id)
    return growth_of(snaps, origin=start.posted_at if start is not None else None, now=now)


def growth_in_window(snaps: Sequence[Any], thread_id: str, now: datetime, origin: datetime | None = None) -> Growth:
    """`thread_growth` from snapshots already read (the thread's, oldest first, from `now - SPAN` or earlier):
    the same window, and the thread's own snapshots preferred over its comments' as the query does."""
    since = now - SPAN
    recent = [s for s in snaps if since <= s.read_at <= now]
    own = [s for s in recent if s.external_id == thread_id]
    return growth_of(own or recent, origin=origin, now=now)


def growth_of(snaps: Sequence[Any], origin: datetime | None = None, now: datetime | None = None) -> Growth:
    """Growth from snapshots ordered by `read_at` (objects with `read_at` and the counter attributes), with the
    thread's posting time as a zero reading where it helps (see the module docstring)."""
    if not snaps:
        return Growth()
    last = snaps[-1]
    engagement = {name: int(getattr(last, name)) for name in COUNTERS if getattr(last, name) is not None}
    young = origin is not None and now is not None and origin >= now - SPAN
    if origin is not None and origin < snaps[0].read_at and (young or len(snaps) < 2):
        snaps = [_Origin(origin), *snaps]
    if len(snaps) < 2:
        return Growth(engagement=engagement, samples=1)
    mid = _at_or_before(snaps, last.read_at - WINDOW)
    comments_now = _rate(mid, last, "comments")
    reactions_now = _rate(mid, last, "reactions") + _rate(mid, last, "likes")
    return Growth(comments_now, reactions_now, _acceleration(snaps), engagement, len(snaps))


def _acceleration(snaps: Sequence[Any]) -> float:
    """Comments/h over the latest stretch minus over the stretch before it. A stretch is a window long, or half
    the history when that is shorter than two windows, so a young thread's take-off is seen at once; its ends
    are the readings nearest to where it should start."""
    last = snaps[-1]
    stretch = min(WINDOW, (last.read_at - snaps[0].read_at) / 2)
    mid = _nearest(snaps[:-1], last.read_at - stretch)
    earlier = [s for s in snaps if s.read_at < mid.read_at]
    if not earlier:
        return 0.0
    prev = _nearest(earlier, mid.read_at - stretch)
    return _rate(mid, last, "comments") - _rate(prev, mid, "comments")


def _nearest(snaps: Sequence[Any], moment: datetime) -> Any:
    return min(snaps, key=lambda s: (abs(s.read_at - moment), -s.read_at.timestamp()))


def _at_or_before(snaps: Sequence[Any], moment: datetime) -> Any:
    """The newest snapshot read at or before `moment`; the oldest one when none is that old."""
    best = snaps[0]
    for snap in snaps:
        if snap.read_at <= moment:
            best = snap
    return best


def _rate(older: Any, newer: Any, name: str) -> float:
    a, b = getattr(older, name), getattr(newer, name)
    if a is None or b is None or newer.read_at <= older.read_at:
        return 0.0
    hours = max(newer.read_at - older.read_at, MIN_SPAN) / timedelta(hours=1)
    return max(0.0, (b - a) / hours)  # counters only drop when posts are deleted; that is not "negative growth"
