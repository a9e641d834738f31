"""Per-source state: the resume cursor and the health counters; per thread, where its next read goes on from;
per source, the thread tracker's re-read allowance.

Reads no config (the budget's rate is an argument).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listener.store.models import RejectedPost, RereadBudget, SourceState, ThreadCursor

BUCKET = timedelta(minutes=10)  # a source may spend at most this much of its hourly budget in one burst


def source_state(session: Session, name: str, kind: str) -> SourceState:
    """The state row for a source, created on first use."""
    query = select(SourceState).where(SourceState.name == name)
    state = session.scalars(query).first()
    if state is None:
        try:
            with session.begin_nested():  # another daemon may create it at the same moment
                state = SourceState(name=name, kind=kind)
                session.add(state)
                session.flush()
        except IntegrityError:
            state = session.scalars(query).one()
    return state


def all_states(session: Session) -> Sequence[SourceState]:
    return session.scalars(select(SourceState).order_by(SourceState.name)).all()


# -- thread cursors ----------------------------------------------------------------------------------

def thread_cursor(session: Session, source: str, thread_id: str) -> dict[str, Any] | None:
    """The cursor the next read of this thread goes on from; None when it was never read (or forgotten)."""
    row = session.get(ThreadCursor, (source, thread_id))
    return dict(row.cursor) if row is not None else None


def save_thread_cursor(session: Session, source: str, thread_id: str, cursor: dict[str, Any], now: datetime) -> None:
    row = session.get(ThreadCursor, (source, thread_id))
    if row is None:
        session.add(ThreadCursor(source=source, thread_id=thread_id, cursor=cursor, updated_at=now))
    else:
        row.cursor, row.updated_at = cursor, now


def add_thread_cursors(session: Session, source: str, cursors: Mapping[str, dict[str, Any]], now: datetime) -> None:
    """Cursors of threads a listing read; a thread that already has one keeps it (its re-read went on from it)."""
    if not cursors:
        return
    ids = list(cursors)
    known: set[str] = set()
    for start in range(0, len(ids), 500):  # IN lists under every backend's bound-parameter limit
        query = select(ThreadCursor.thread_id).where(ThreadCursor.source == source,
                                                     ThreadCursor.thread_id.in_(ids[start:start + 500]))
        known.update(session.scalars(query))
    session.add_all(ThreadCursor(source=source, thread_id=tid, cursor=cursor, updated_at=now)
                    for tid, cursor in cursors.items() if tid not in known)


def forget_thread_cursors(session: Session, read_before: datetime) -> int:
    """Drop cursors of threads not read since `read_before`; such a thread, if ever read again, starts over."""
    result = session.execute(delete(ThreadCursor).where(ThreadCursor.updated_at < read_before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- re-read budget ----------------------------------------------------------------------------------

def reread_tokens(session: Session, source: str, now: datetime, per_hour: float) -> float:
    """Requests the source may spend on re-reads now: its bucket refilled at `per_hour`, holding at most
    `BUCKET`'s worth. Locks the row on PostgreSQL until the transaction ends, so two workers cannot spend
    the same tokens."""
    return _bucket(session, source, now, per_hour).tokens


def spend_reread_tokens(session: Session, source: str, requests: int, now: datetime, per_hour: float) -> None:
    """Take what a re-read cost; the bucket may go below zero, and the next re-reads wait until it refills."""
    _bucket(session, source, now, per_hour).tokens -= requests


def _bucket(session: Session, source: str, now: datetime, per_hour: float) -> RereadBudget:
    capacity = max(1.0, per_hour * (BUCKET / timedelta(hours=1)))
    query = select(RereadBudget).where(RereadBudget.source == source)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        row = RereadBudget(source=source, tokens=capacity, updated_at=now)
        session.add(row)
    elif now != row.updated_at:  # a clock that went back (a replay started over) refills nothing
        hours = max(0.0, (now - row.updated_at) / timedelta(hours=1))
        row.tokens, row.updated_at = min(capacity, row.tokens + per_hour * hours), now
    return row


def recent_rejections(session: Session, limit: int) -> Sequence[RejectedPost]:
    """The posts set aside most recently, newest first."""
    return session.scalars(select(RejectedPost).order_by(RejectedPost.rejected_at.desc(), RejectedPost.id.desc())
                           .limit(limit)).all()
