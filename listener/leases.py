"""The shared schedule: each source's poll and the housekeeping run once per schedule in total, however many
daemons share the database, spread over whichever daemons have a free worker.

The schedule lives in the database (table `job_leases`), not in each daemon: every second each daemon
claims jobs that are due and not running anywhere, up to its free workers, booking the next run in the same
UPDATE. While a job runs its daemon renews the claim every tick (`scheduler.lease`); a daemon that dies stops
renewing, and when its claim runs out (or, if it was idle, at the job's next due time) another daemon takes the
job over. A run that did not finish stored nothing (every stage commits in one transaction), so the next run
resumes from the same cursor.

SQLite with one daemon goes through the same code and simply finds every claim free. Reads `scheduler.lease`
and `scheduler.workers` (through its caller).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from listener.store import Store, leases_repo

log = logging.getLogger(__name__)


def daemon_id() -> str:
    """host:pid:random — unique per process, readable in `job_leases.last_owner`."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class SharedJob:
    name: str  # e.g. "source:pantip-phones"
    run: Callable[[], object]
    next_run: Callable[[datetime], datetime]  # the run after one starting at this moment
    longest_gap: timedelta  # how far ahead a run may be booked at most (a shortened schedule takes effect)


class Leases:
    def __init__(self, store: Store, clock: Callable[[], datetime], *, ttl: timedelta,
                 owner: str | None = None) -> None:
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self.owner = owner or daemon_id()
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def register(self, jobs: list[SharedJob]) -> None:
        now = self.clock()
        with self.store.session() as session:
            for job in jobs:
                leases_repo.ensure(session, job.name, now=now, latest=now + job.longest_gap)

    def claim_due(self, jobs: list[SharedJob], limit: int) -> list[SharedJob]:
        """Claim up to `limit` due jobs for this daemon (and renew the claims of those it is running)."""
        now = self.clock()
        by_name = {job.name: job for job in jobs}
        claimed: list[SharedJob] = []
        with self.store.session() as session:
            with self._lock:
                leases_repo.renew(session, self.owner, self._running, now + self.ttl)
            if limit <= 0:
                return claimed
            for name in leases_repo.due(session, by_name, now):
                job = by_name[name]
                if len(claimed) < limit and leases_repo.claim(session, name, owner=self.owner, now=now,
                                                              lease_until=now + self.ttl,
                                                              next_run_at=job.next_run(now)):
                    claimed.append(job)
        with self._lock:
            self._running.update(job.name for job in claimed)
        return claimed

    def run(self, job: SharedJob) -> None:
        """Run a claimed job, then give the claim back (its next run is already booked)."""
        try:
            job.run()
        finally:
            with self._lock:
                self._running.discard(job.name)
            try:
                with self.store.session() as session:
                    leases_repo.release(session, job.name, self.owner)
            except Exception:  # the lease simply runs out instead
                log.exception("could not release %s", job.name)

    def busy(self) -> int:
        with self._lock:
            return len(self._running)
