"""Per-source state: the resume cursor and the health counters."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from listener.store.models import RejectedPost, SourceState


def source_state(session: Session, name: str, kind: str) -> SourceState:
    """The state row for a source, created on first use."""
    state = session.scalars(select(SourceState).where(SourceState.name == name)).first()
    if state is None:
        state = SourceState(name=name, kind=kind)
        session.add(state)
        session.flush()
    return state


def all_states(session: Session) -> Sequence[SourceState]:
    return session.scalars(select(SourceState).order_by(SourceState.name)).all()


def recent_rejections(session: Session, limit: int) -> Sequence[RejectedPost]:
    """The posts set aside most recently, newest first."""
    return session.scalars(select(RejectedPost).order_by(RejectedPost.rejected_at.desc(), RejectedPost.id.desc())
                           .limit(limit)).all()
