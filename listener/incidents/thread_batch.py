"""What the incident engine reads about the threads of one evaluation batch, loaded once for the batch.

Reads no config. For every post the engine needs its thread's incident and recent engagement snapshots;
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

    def growth(self, session: Any, source: str, thread_id: str, now: datetime) -> Growth:
        """The thread's growth as of `now`; asked of the database when the batch did not read that far back."""
        snaps = self._snapshots[(source, thread_id)]
        if now - SPAN < self.since:  # the clock went back
            return thread_growth(session, source, thread_id, now)
        return growth_in_window(snaps, thread_id, now)

    def covers(self, source: str, thread_id: str) -> bool:
        return (source, thread_id) in self._snapshots

    def incident(self, source: str, thread_id: str, watchlist: str) -> Incident | None:
        return self._incidents.get((source, thread_id, watchlist))

    def add(self, incident: Incident) -> None:
        self._incidents[(incident.source, incident.thread_id, incident.watchlist)] = incident
