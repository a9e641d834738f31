"""What a replay on a simulated clock asks the store between stages: when the next stage has work, and the
highest tier any incident reached. Read-only; used by `fangsiang backtest --threads`."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from listener.store.models import Incident, OutboxRow

WAITING_STATUSES = ("pending", "sending", "held", "digest")  # rows a later dispatch may still deliver


def next_poll_at(session: Session) -> datetime | None:
    """The soonest re-read any incident (open or closed) has booked; None when none has one."""
    query = select(func.min(Incident.next_poll_at)).where(Incident.next_poll_at.is_not(None),
                                                          Incident.not_relevant.is_(False))
    return session.scalar(query)


def outbox_waits(session: Session) -> list[datetime]:
    """The due times of the outbox rows a dispatch may still deliver (pending, held, waiting for a digest)."""
    query = select(OutboxRow.next_attempt_at).where(OutboxRow.status.in_(WAITING_STATUSES))
    return list(session.scalars(query))


def severities(session: Session) -> Iterable[str]:
    """The tier every incident stands at now."""
    return list(session.scalars(select(Incident.severity)))


def open_incidents(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Incident).where(Incident.status == "open")) or 0)
