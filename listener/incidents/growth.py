"""How fast a thread is growing, read from its engagement `Snapshot` rows.

Reads no config. The rate is measured over the last `WINDOW` (one hour) and compared with the window before
it, so a thread that suddenly takes off shows a positive acceleration before its totals look large.
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
    acceleration: float = 0.0  # comments/h in the last window minus comments/h in the window before it
    engagement: dict[str, int] = field(default_factory=dict)  # the newest counters read
    samples: int = 0

    def as_dict(self) -> dict[str, float]:
        return {"comments_per_hour": round(self.comments_per_hour, 1),
                "reactions_per_hour": round(self.reactions_per_hour, 1),
                "acceleration": round(self.acceleration, 1)}


SPAN = 3 * WINDOW  # how far back growth looks: the last window, the one before it, and a reference point


def thread_growth(session: Any, source: str, thread_id: str, now: datetime) -> Growth:
    """Growth of one thread as of `now` (snapshots read later than `now` are ignored)."""
    snaps = incidents_repo.thread_snapshots(session, source, thread_id, since=now - SPAN, until=now)
    return growth_of(snaps)


def growth_in_window(snaps: Sequence[Any], thread_id: str, now: datetime) -> Growth:
    """`thread_growth` from snapshots already read (the thread's, oldest first, from `now - SPAN` or earlier):
    the same window, and the thread's own snapshots preferred over its comments' as the query does."""
    since = now - SPAN
    recent = [s for s in snaps if since <= s.read_at <= now]
    own = [s for s in recent if s.external_id == thread_id]
    return growth_of(own or recent)


def growth_of(snaps: Sequence[Any]) -> Growth:
    """Growth from snapshots ordered by `read_at` (objects with `read_at` and the counter attributes)."""
    if not snaps:
        return Growth()
    last = snaps[-1]
    engagement = {name: int(getattr(last, name)) for name in COUNTERS if getattr(last, name) is not None}
    if len(snaps) < 2:
        return Growth(engagement=engagement, samples=1)
    mid = _at_or_before(snaps, last.read_at - WINDOW)
    comments_now = _rate(mid, last, "comments")
    reactions_now = _rate(mid, last, "reactions") + _rate(mid, last, "likes")
    accel = 0.0
    if mid is not snaps[0]:
        prev = _at_or_before(snaps, mid.read_at - WINDOW)
        accel = comments_now - _rate(prev, mid, "comments")
    return Growth(comments_now, reactions_now, accel, engagement, len(snaps))


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
