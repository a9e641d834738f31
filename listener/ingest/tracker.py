"""The thread tracker: which open incidents' threads to re-read now, and when to read each again.

Reads no config keys (the poll bounds are constructor arguments). A thread gaining comments fast is read
every few minutes so escalation is caught early; a quiet one drifts out to every couple of hours, which
keeps the scraper's requests (and the site's patience) for the threads that matter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from listener.incidents.growth import Growth, thread_growth
from listener.store import incidents_repo
from listener.store.models import Incident


YOUNG_FLOOR = timedelta(minutes=15)
# A claimed thread is booked this far ahead until its re-read reschedules it: if the daemon reading it dies,
# another one reads it then (never later than the fastest re-read interval, so within one schedule).
CLAIM_LEASE = timedelta(minutes=5)


class ThreadTracker:
    def __init__(self, clock: Callable[[], datetime], fastest: timedelta = timedelta(minutes=5),
                 slowest: timedelta = timedelta(hours=2)) -> None:
        self.clock = clock
        self.fastest = fastest
        self.slowest = slowest

    def due(self, session: Any) -> list[tuple[str, str]]:
        """(source, thread_id) of open incidents whose next poll time has passed, most overdue first;
        a thread followed by several watchlists is listed once."""
        seen: dict[tuple[str, str], None] = {}
        for incident in incidents_repo.incidents_due_for_poll(session, self.clock()):
            seen.setdefault((incident.source, incident.thread_id), None)
        return list(seen)

    def claim_next(self, session: Any) -> tuple[str, str] | None:
        """Claim the most overdue due thread for this daemon: (source, thread_id), or None when none is due.

        Its open incidents are booked `CLAIM_LEASE` ahead in the same transaction, so another daemon (or the
        next tracking run) skips it while it is being read; the re-read then books its real next time.
        """
        return incidents_repo.claim_due_thread(session, self.clock(), until=self.clock() + CLAIM_LEASE)

    def interval(self, growth: Growth, age: timedelta = timedelta(days=1)) -> timedelta:
        """120 min / (1 + comments per hour), halved while accelerating, and at most half the incident's
        age (a young thread is the one most likely to take off), within [fastest, slowest]."""
        minutes = 120 / (1 + max(growth.comments_per_hour, 0.0))
        if growth.acceleration > 0:
            minutes /= 2
        wait = min(timedelta(minutes=minutes), max(age / 2, YOUNG_FLOOR))
        return min(self.slowest, max(self.fastest, wait))

    def reschedule(self, session: Any, incident: Incident, growth: Growth) -> datetime | None:
        if incident.status != "open" or incident.not_relevant:
            incident.next_poll_at = None
            return None
        now = self.clock()
        incident.next_poll_at = now + self.interval(growth, now - incident.opened_at)
        return incident.next_poll_at

    def reschedule_thread(self, session: Any, source: str, thread_id: str) -> datetime | None:
        """After a re-read: schedule every open incident of the thread by its fresh growth."""
        now = self.clock()
        growth = thread_growth(session, source, thread_id, now)
        when = None
        for incident in incidents_repo.open_incidents_of_thread(session, source, thread_id):
            when = self.reschedule(session, incident, growth)
        return when
