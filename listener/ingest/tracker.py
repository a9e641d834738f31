"""The thread tracker: which incidents' threads to re-read now, when to read each again, and how many requests
each source may spend on it.

Reads config keys `tracking.fastest`, `tracking.slowest`, `tracking.requests_per_hour`, `tracking.closed_every`,
`tracking.closed_for` and each source's `reread_per_hour`.

An open incident's thread is re-read at the pace the spread forecast's `poll_delay_s` asks for from its comment
times (a young or fast-growing thread every couple of minutes, a cold one every couple of hours), so escalation is caught early and
requests are kept for the threads that matter. A closed incident's thread is still read every `closed_every` for
`closed_for`: new activity there reopens the incident. Each source spends at most `requests_per_hour` on re-reads
(a token bucket in the store, shared by every worker), so a busy day cannot starve the source's listing polls;
threads the budget cannot cover stay due and are read first, most overdue first, when it refills.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from listener.config.schema import TrackingConfig
from listener.incidents.forecast import poll_delay_s
from listener.store import incidents_repo, sources_repo
from listener.store.models import Incident

FORGET_AFTER = timedelta(days=30)  # a thread cursor not used for this long is dropped (and never missed)
# A claimed thread is booked this far ahead until its re-read reschedules it: if the daemon reading it dies,
# another one reads it then.
CLAIM_LEASE = timedelta(minutes=5)


class ThreadTracker:
    def __init__(self, clock: Callable[[], datetime], tracking: TrackingConfig = TrackingConfig(),
                 budgets: Mapping[str, int] | None = None) -> None:
        self.clock = clock
        self.tracking = tracking
        self.budgets = dict(budgets or {})  # source -> its own requests_per_hour

    def due(self, session: Any) -> list[tuple[str, str]]:
        """(source, thread_id) whose next re-read time has passed: open incidents' threads, most overdue first,
        then closed incidents' threads; a thread followed by several watchlists is listed once."""
        now = self.clock()
        seen: dict[tuple[str, str], None] = {}
        for incident in incidents_repo.incidents_due_for_poll(session, now):
            seen.setdefault((incident.source, incident.thread_id), None)
        for incident in self._closed_due(session, now):
            seen.setdefault((incident.source, incident.thread_id), None)
        return list(seen)

    def may_read(self, session: Any, source: str) -> bool:
        """Whether the source's re-read budget allows another re-read now."""
        return sources_repo.reread_tokens(session, source, self.clock(), self._per_hour(source)) >= 1

    def claim_next(self, session: Any, skip: Iterable[str] = ()) -> tuple[str, str] | None:
        """Claim the most overdue due open thread for this daemon: (source, thread_id), or None when none is due.

        Its open incidents are booked `CLAIM_LEASE` ahead in the same transaction, so another daemon (or the
        next tracking run) skips it while it is being read; the re-read then books its real next time. Threads
        of a source whose re-read budget is spent (or in `skip`) are not claimed: they stay due, first in line
        when the budget refills, instead of waiting out a claim nobody reads them under.
        """
        answers = {source: False for source in skip}
        now = self.clock()

        def readable(source: str) -> bool:
            if source not in answers:  # asked once per source and claim: the bucket does not refill within it
                answers[source] = self.may_read(session, source)
            return answers[source]

        return incidents_repo.claim_due_thread(session, now, until=now + CLAIM_LEASE, readable=readable)

    def closed_due(self, session: Any) -> list[tuple[str, str]]:
        """(source, thread_id) of closed incidents whose rare re-read is due (not claimed: a second read by
        another daemon costs one request and stores nothing twice)."""
        return list(dict.fromkeys((i.source, i.thread_id) for i in self._closed_due(session, self.clock())))

    def spent(self, session: Any, source: str, requests: int) -> None:
        """Charge a re-read's requests to the source's budget."""
        sources_repo.spend_reread_tokens(session, source, requests, self.clock(), self._per_hour(source))

    def reschedule_thread(self, session: Any, source: str, thread_id: str) -> datetime | None:
        """After a re-read: when each incident of the thread is read next; returns the soonest of those times."""
        now = self.clock()
        delay = self.delay(session, source, thread_id, now)
        times = []
        for incident in incidents_repo.incidents_of_threads(session, [(source, thread_id)]):
            incident.next_poll_at = self._next_read(incident, now, delay)
            if incident.next_poll_at is not None:
                times.append(incident.next_poll_at)
        return min(times, default=None)

    def delay(self, session: Any, source: str, thread_id: str, now: datetime) -> timedelta:
        """How long the thread may wait for its next re-read, from its comments' times (`poll_delay_s`)."""
        root = incidents_repo.thread_start(session, source, thread_id)
        times = incidents_repo.thread_comment_times(session, source, thread_id, until=now)
        start = root.posted_at if root is not None else (times[0] if times else now)
        age_s = max(0.0, (now - start).total_seconds())
        offsets = [min(age_s, max(0.0, (t - start).total_seconds())) for t in times]
        seconds = poll_delay_s(offsets, age_s, min_s=self.tracking.duration("fastest").total_seconds(),
                               max_s=self.tracking.duration("slowest").total_seconds())
        return timedelta(seconds=seconds)

    def forget_before(self, now: datetime) -> datetime:
        """Thread cursors last used before this are no longer needed (no incident will re-read them)."""
        closed = self.tracking.duration("closed_for") + self.tracking.duration("closed_every")
        return now - max(FORGET_AFTER, closed)

    # -- internals -------------------------------------------------------------------------------------
    def _closed_due(self, session: Any, now: datetime) -> Iterable[Incident]:
        closed_for, every = self.tracking.duration("closed_for"), self.tracking.duration("closed_every")
        due = [(incident.next_poll_at or incident.closed_at + every, incident)
               for incident in incidents_repo.closed_incidents_since(session, now - closed_for)
               if incident.closed_at is not None]
        return [incident for when, incident in sorted(due, key=lambda pair: (pair[0], pair[1].id)) if when <= now]

    def _next_read(self, incident: Incident, now: datetime, delay: timedelta) -> datetime | None:
        if incident.not_relevant:
            return None  # a person said so: no more requests spent on it
        if incident.status == "open":
            return now + delay
        following = now + self.tracking.duration("closed_every")
        if incident.closed_at is None or following - incident.closed_at > self.tracking.duration("closed_for"):
            return None  # closed long enough: let it go
        return following

    def _per_hour(self, source: str) -> float:
        return float(self.budgets.get(source, self.tracking.requests_per_hour))
