"""What the incident engine reads about the threads of one evaluation batch, loaded once for the batch.

Reads no config. For every post the engine needs its thread's incident, recent engagement snapshots, when its
topic was posted and (for the spread forecast) when its comments were;
asked post by post that was several queries each, the bulk of the evaluation stage. Here they are read once
for all the batch's threads, after taking those threads' locks (PostgreSQL only), so what was read stays true
until the batch commits: another worker deciding about one of these threads waits for that commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from listener.incidents.growth import SPAN, Growth, growth_in_window, thread_growth
from listener.store import incidents_repo
from listener.store.models import Incident


class ThreadBatch:
    """Incidents and snapshots of a set of threads; incidents opened meanwhile are `add`ed to it."""

    def __init__(self, session: Any, threads: Iterable[tuple[str, str]], now: datetime) -> None:
        self._threads = sorted(set(threads))
        # One fixed order for everyone: two workers whose batches share threads cannot deadlock on the locks.
        for source, thread_id in self._threads:
            incidents_repo.lock_thread(session, source, thread_id)
        self.since = now - SPAN
        self._snapshots = incidents_repo.snapshots_of_threads(session, self._threads, since=self.since)
        self._incidents = {(i.source, i.thread_id, i.watchlist): i
                           for i in incidents_repo.incidents_of_threads(session, self._threads)}
        self._starts: dict[tuple[str, str], datetime | None] = dict(incidents_repo.thread_starts(session, self._threads))
        self._comment_times: dict[tuple[str, str], list[datetime]] | None = None  # read when a forecast asks

    def growth(self, session: Any, source: str, thread_id: str, now: datetime) -> Growth:
        """The thread's growth as of `now`; asked of the database when the batch did not read that far back."""
        snaps = self._snapshots[(source, thread_id)]
        if now - SPAN < self.since:  # the clock went back
            return thread_growth(session, source, thread_id, now)
        return growth_in_window(snaps, thread_id, now, origin=self.started(session, source, thread_id))

    def started(self, session: Any, source: str, thread_id: str) -> datetime | None:
        """When the thread's topic was posted (it may have been stored after the batch was read)."""
        key = (source, thread_id)
        if key not in self._starts:
            start = incidents_repo.thread_start(session, source, thread_id)
            self._starts[key] = start.posted_at if start is not None else None
        return self._starts[key]

    def comment_times(self, session: Any, source: str, thread_id: str) -> list[datetime]:
        """When the thread's comments were posted (every thread of the batch is read on the first call)."""
        if self._comment_times is None:
            self._comment_times = incidents_repo.comment_times(session, self._threads)
        return self._comment_times.get((source, thread_id)) or []

    def covers(self, source: str, thread_id: str) -> bool:
        return (source, thread_id) in self._snapshots

    def incident(self, source: str, thread_id: str, watchlist: str) -> Incident | None:
        return self._incidents.get((source, thread_id, watchlist))

    def add(self, incident: Incident) -> None:
        self._incidents[(incident.source, incident.thread_id, incident.watchlist)] = incident
