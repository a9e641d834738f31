"""Queries behind incidents, growth, thread tracking and summaries. The incident engine's only SQL.

Reads no config.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from listener.store.models import Incident, MatchRow, PostRow, Snapshot, VerdictRow


def thread_snapshots(session: Session, source: str, thread_id: str, *, since: datetime,
                     until: datetime) -> Sequence[Snapshot]:
    """The thread's own snapshots in [since, until], oldest first; per-comment snapshots only when the
    thread itself was never snapshotted (some sources expose counters per comment only)."""
    base = (select(Snapshot).where(Snapshot.source == source, Snapshot.thread_id == thread_id,
                                   Snapshot.read_at >= since, Snapshot.read_at <= until)
            .order_by(Snapshot.read_at, Snapshot.id))
    own = session.scalars(base.where(Snapshot.external_id == thread_id)).all()
    return own if own else session.scalars(base).all()


def snapshots_of_threads(session: Session, threads: Iterable[tuple[str, str]], *,
                         since: datetime) -> dict[tuple[str, str], list[Snapshot]]:
    """Every snapshot read since `since` of each (source, thread_id), oldest first, in one query per source
    and chunk of threads: evaluation reads them once per batch instead of once per post."""
    wanted = set(threads)
    by_source: dict[str, list[str]] = {}
    for source, thread_id in sorted(wanted):
        by_source.setdefault(source, []).append(thread_id)
    found: dict[tuple[str, str], list[Snapshot]] = {key: [] for key in wanted}
    for source, ids in by_source.items():
        for start in range(0, len(ids), 500):
            query = (select(Snapshot).where(Snapshot.source == source, Snapshot.thread_id.in_(ids[start:start + 500]),
                                            Snapshot.read_at >= since)
                     .order_by(Snapshot.read_at, Snapshot.id))
            for snap in session.scalars(query):
                found[(snap.source, snap.thread_id)].append(snap)
    return found


def incidents_of_threads(session: Session, threads: Iterable[tuple[str, str]]) -> list[Incident]:
    """Every incident (any watchlist, any status) of each (source, thread_id)."""
    wanted = set(threads)
    found: list[Incident] = []
    for source in sorted({source for source, _ in wanted}):
        ids = sorted(thread_id for s, thread_id in wanted if s == source)
        for start in range(0, len(ids), 500):
            query = select(Incident).where(Incident.source == source, Incident.thread_id.in_(ids[start:start + 500]))
            found.extend(session.scalars(query))
    return found


def thread_starts(session: Session, threads: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
    """When each thread's topic was posted, for the (source, thread_id)s whose topic is stored."""
    found: dict[tuple[str, str], datetime] = {}
    for source, ids in _by_source(threads):
        query = select(PostRow.thread_id, func.min(PostRow.posted_at)).where(
            PostRow.source == source, PostRow.thread_id.in_(ids), PostRow.is_thread_start.is_(True)
        ).group_by(PostRow.thread_id)
        found.update(((source, thread_id), posted_at) for thread_id, posted_at in session.execute(query))
    return found


def comment_times(session: Session, threads: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[datetime]]:
    """When each comment (and reply) of each thread was posted, oldest first: what a forecast is made from."""
    found: dict[tuple[str, str], list[datetime]] = {key: [] for key in set(threads)}
    for source, ids in _by_source(found):
        query = (select(PostRow.thread_id, PostRow.posted_at)
                 .where(PostRow.source == source, PostRow.thread_id.in_(ids), PostRow.is_thread_start.is_(False))
                 .order_by(PostRow.posted_at))
        for thread_id, posted_at in session.execute(query):
            found[(source, thread_id)].append(posted_at)
    return found


def match_cues(session: Session, post_id: int, watchlist: str) -> list[str]:
    """The watchlist's own cues found in a post when it was matched (the model's cues are in its verdict)."""
    query = select(MatchRow.cues).where(MatchRow.post_id == post_id, MatchRow.watchlist == watchlist)
    return list(session.scalar(query) or [])


def _by_source(threads: Iterable[tuple[str, str]], chunk: int = 500) -> Iterable[tuple[str, list[str]]]:
    """(source, up to `chunk` thread ids) groups, so every IN list stays under the backends' parameter limits."""
    wanted = sorted(set(threads))
    for source in sorted({source for source, _ in wanted}):
        ids = [thread_id for s, thread_id in wanted if s == source]
        for start in range(0, len(ids), chunk):
            yield source, ids[start:start + chunk]


def lock_thread(session: Session, source: str, thread_id: str) -> None:
    """On PostgreSQL, hold a lock on one thread's incident decisions until this transaction ends.

    Two workers evaluating a topic and its comment at the same time would otherwise both open the thread's
    incident (one then fails on the unique key) or overwrite each other's revision.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{source}\n{thread_id}"))))


def find_incident(session: Session, source: str, thread_id: str, watchlist: str) -> Incident | None:
    query = select(Incident).where(Incident.source == source, Incident.thread_id == thread_id,
                                   Incident.watchlist == watchlist)
    return session.scalars(query).first()


def add_incident(session: Session, incident: Incident) -> Incident:
    session.add(incident)
    session.flush()  # the id is part of every idempotency key
    return incident


def get_incident(session: Session, incident_id: int) -> Incident | None:
    return session.get(Incident, incident_id)


def quiet_open_incidents(session: Session, last_activity_before: datetime) -> Sequence[Incident]:
    query = (select(Incident).where(Incident.status == "open", Incident.last_activity_at < last_activity_before)
             .order_by(Incident.id))
    return session.scalars(query).all()


def incidents_due_for_poll(session: Session, now: datetime) -> Sequence[Incident]:
    query = (select(Incident).where(Incident.status == "open", Incident.not_relevant.is_(False),
                                    Incident.next_poll_at.is_not(None), Incident.next_poll_at <= now)
             .order_by(Incident.next_poll_at, Incident.id))
    return session.scalars(query).all()


def closed_incidents_since(session: Session, closed_since: datetime) -> Sequence[Incident]:
    """Incidents closed at or after `closed_since` that nobody marked not relevant (the tracker still re-reads
    their threads now and then, so new activity can reopen them)."""
    query = (select(Incident).where(Incident.status == "closed", Incident.not_relevant.is_(False),
                                    Incident.closed_at >= closed_since)
             .order_by(Incident.closed_at, Incident.id))
    return session.scalars(query).all()


def thread_comment_times(session: Session, source: str, thread_id: str, *, until: datetime) -> list[datetime]:
    """When each stored comment (or reply) of the thread was posted, up to `until`, oldest first."""
    query = (select(PostRow.posted_at).where(PostRow.source == source, PostRow.thread_id == thread_id,
                                             PostRow.is_thread_start.is_(False), PostRow.posted_at <= until)
             .order_by(PostRow.posted_at))
    return list(session.scalars(query))


def claim_due_thread(session: Session, now: datetime, *, until: datetime,
                     readable: Callable[[str], bool] = lambda source: True) -> tuple[str, str] | None:
    """Book the most overdue thread's open incidents for `until` and return (source, thread_id); None if none.
    Threads of a source that is not `readable` now (its re-read budget is spent) are left due, unbooked.

    On PostgreSQL a thread another worker is claiming at this moment (its advisory lock is held) is skipped,
    and the due check is repeated under the lock, so two daemons never claim the same thread.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    for incident in incidents_due_for_poll(session, now)[:50]:
        if not readable(incident.source):
            continue
        key = f"{incident.source}\n{incident.thread_id}"
        if postgres and not session.scalar(select(func.pg_try_advisory_xact_lock(func.hashtext(key)))):
            continue
        booked = session.execute(
            update(Incident).where(Incident.source == incident.source, Incident.thread_id == incident.thread_id,
                                   Incident.status == "open", Incident.next_poll_at.is_not(None),
                                   Incident.next_poll_at <= now)
            .values(next_poll_at=until).execution_options(synchronize_session=False))
        if booked.rowcount:
            return incident.source, incident.thread_id
    return None


def open_incidents_of_thread(session: Session, source: str, thread_id: str) -> Sequence[Incident]:
    query = select(Incident).where(Incident.source == source, Incident.thread_id == thread_id,
                                   Incident.status == "open")
    return session.scalars(query).all()


def post_by_id(session: Session, post_id: int) -> PostRow | None:
    return session.get(PostRow, post_id)


def thread_start(session: Session, source: str, thread_id: str) -> PostRow | None:
    query = select(PostRow).where(PostRow.source == source, PostRow.thread_id == thread_id,
                                  PostRow.is_thread_start.is_(True)).order_by(PostRow.id)
    return session.scalars(query).first()


def verdict_of(session: Session, post_id: int) -> VerdictRow | None:
    return session.get(VerdictRow, post_id)


def sentiment_counts(session: Session, watchlist: str, since: datetime, until: datetime) -> dict[str, int]:
    """Posts matched by `watchlist` in [since, until), counted by sentiment label."""
    query = (select(VerdictRow.label, func.count())
             .join(MatchRow, MatchRow.post_id == VerdictRow.post_id)
             .where(MatchRow.watchlist == watchlist, MatchRow.matched_at >= since, MatchRow.matched_at < until)
             .group_by(VerdictRow.label))
    return {label: int(count) for label, count in session.execute(query)}


def top_incidents(session: Session, watchlist: str, since: datetime, limit: int) -> Sequence[Incident]:
    """The riskiest incidents of `watchlist` active since `since`."""
    query = (select(Incident).where(Incident.watchlist == watchlist, Incident.last_activity_at >= since,
                                    Incident.not_relevant.is_(False))
             .order_by(Incident.risk.desc(), Incident.id).limit(limit))
    return session.scalars(query).all()
