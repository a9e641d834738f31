"""Per-source state: the resume cursor and the health counters."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listener.store.models import SourceState


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
