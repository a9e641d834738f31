"""Queries behind the alert outbox: idempotent inserts, claiming due rows, and the counts that cooldowns,
budgets and digests need. The dispatcher's only SQL.

Reads no config.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listener.store.models import OutboxRow

TOP_LEVEL_KINDS = ("new", "digest", "summary", "escalation", "health", "group")
# "sending": Slack was called and no answer was recorded; the dispatcher looks the message up before resending
OPEN_STATUSES = ("pending", "sending")


def insert_once(session: Session, row: OutboxRow) -> OutboxRow | None:
    """Add `row` unless its idempotency key exists; None when it did (also when another process raced us)."""
    if key_exists(session, row.idempotency_key):
        return None
    try:
        with session.begin_nested():  # a savepoint, so losing a race does not roll back the caller's work
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def key_exists(session: Session, key: str) -> bool:
    return session.scalar(select(OutboxRow.id).where(OutboxRow.idempotency_key == key)) is not None


def pending_rows(session: Session, limit: int) -> Sequence[OutboxRow]:
    """Rows still to deliver (pending or sending), oldest first, due or not: later rows of an incident must
    wait behind a failing earlier one."""
    query = select(OutboxRow).where(OutboxRow.status.in_(OPEN_STATUSES)).order_by(OutboxRow.id).limit(limit)
    return session.scalars(query).all()


def claim(session: Session, row_id: int) -> OutboxRow | None:
    """Lock one pending or sending row; None when gone, delivered meanwhile, or (PostgreSQL) locked elsewhere."""
    query = select(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status.in_(OPEN_STATUSES))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def reclaim(session: Session, row_id: int, attempts: int) -> OutboxRow | None:
    """Lock a row again right after its "sending" mark was committed (which released the lock).

    None when another worker took it in between and moved it on (its attempt count changed): that worker
    owns the send now. On PostgreSQL this waits for such a worker instead of skipping, so it sees the outcome.
    """
    query = select(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status == "sending",
                                    OutboxRow.attempts == attempts)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()


def coalescible_update(session: Session, incident_id: int) -> OutboxRow | None:
    """An update of this incident not yet tried: a newer state can simply replace its payload."""
    query = (select(OutboxRow).where(OutboxRow.incident_id == incident_id, OutboxRow.kind == "update",
                                     OutboxRow.status == "pending", OutboxRow.attempts == 0)
             .order_by(OutboxRow.id.desc()))
    return session.scalars(query).first()


def replace_if_unchanged(session: Session, row: OutboxRow, **values: object) -> bool:
    """Rewrite `row` only if its status and attempt count are still what this session read; False otherwise.

    One conditional UPDATE, atomic on every backend: a dispatcher that has meanwhile claimed the row and
    marked it as being sent makes this a no-op (on PostgreSQL the UPDATE waits for that worker's commit and
    then finds the row changed), so a newer edit is never written into a row that goes out with the old one.
    """
    query = (update(OutboxRow).where(OutboxRow.id == row.id, OutboxRow.status == row.status,
                                     OutboxRow.attempts == row.attempts)
             .values(**values).execution_options(synchronize_session="evaluate"))
    return session.execute(query).rowcount == 1


def last_of_kind(session: Session, incident_id: int, kind: str) -> OutboxRow | None:
    query = (select(OutboxRow).where(OutboxRow.incident_id == incident_id, OutboxRow.kind == kind)
             .order_by(OutboxRow.id.desc()))
    return session.scalars(query).first()


def rows_with_status(session: Session, status: str, *, incident_id: int | None = None) -> Sequence[OutboxRow]:
    query = select(OutboxRow).where(OutboxRow.status == status).order_by(OutboxRow.id)
    if incident_id is not None:
        query = query.where(OutboxRow.incident_id == incident_id)
    return session.scalars(query).all()


def has_live_new(session: Session, incident_id: int) -> bool:
    """Whether a "new" message for the incident is still on its way (so its replies should wait)."""
    query = select(OutboxRow.id).where(OutboxRow.incident_id == incident_id, OutboxRow.kind == "new",
                                       OutboxRow.status.in_(OPEN_STATUSES))
    return session.scalar(query) is not None


def top_level_sent_since(session: Session, channel: str, since: datetime) -> int:
    """Messages that appeared as new top-level posts in `channel` since `since` (the hourly budget)."""
    query = select(func.count()).select_from(OutboxRow).where(
        OutboxRow.channel == channel, OutboxRow.status == "sent", OutboxRow.sent_at >= since,
        OutboxRow.kind.in_(TOP_LEVEL_KINDS))
    return int(session.scalar(query) or 0)


def dead_rows(session: Session, ids: Sequence[int] | None = None) -> Sequence[OutboxRow]:
    """Rows the dispatcher gave up on, oldest first; only those among `ids` when given."""
    query = select(OutboxRow).where(OutboxRow.status == "dead").order_by(OutboxRow.id)
    if ids is not None:
        query = query.where(OutboxRow.id.in_(list(ids)))
    return session.scalars(query).all()


def all_rows(session: Session) -> Sequence[OutboxRow]:
    return session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
