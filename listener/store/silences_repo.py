"""Queries behind silences and grouping: the silences themselves, the outbox rows each one suppressed, and the
terms and cues an incident was matched on (what a term silence and `group_by: [term|cue]` look at).

Reads no config.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from listener.store.models import MatchRow, OutboxRow, PostRow, Silence, SilencedAlert, VerdictRow

INHERITED_TERM = "(thread)"  # what a comment that matched only through its thread records as its term


def add_silence(session: Session, silence: Silence) -> Silence:
    session.add(silence)
    session.flush()
    return silence


def get_silence(session: Session, silence_id: int) -> Silence | None:
    return session.get(Silence, silence_id)


def active_silences(session: Session, now: datetime) -> Sequence[Silence]:
    query = select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now).order_by(Silence.id)
    return session.scalars(query).all()


def all_silences(session: Session, *, ended_since: datetime | None = None) -> Sequence[Silence]:
    """Every silence, newest first; with `ended_since`, only those still running or ended after it."""
    query = select(Silence).order_by(Silence.id.desc())
    if ended_since is not None:
        query = query.where(Silence.ends_at > ended_since)
    return session.scalars(query).all()


def ended_unreleased(session: Session, now: datetime) -> Sequence[Silence]:
    """Silences that are over and whose "what was silenced" notice is not written yet."""
    query = (select(Silence).where(Silence.ends_at <= now, Silence.released_at.is_(None))
             .order_by(Silence.id))
    return session.scalars(query).all()


def record_silenced(session: Session, silence_id: int, outbox_id: int, now: datetime) -> None:
    if session.get(SilencedAlert, (silence_id, outbox_id)) is None:
        session.add(SilencedAlert(silence_id=silence_id, outbox_id=outbox_id, silenced_at=now))


def silenced_rows(session: Session, silence_id: int) -> Sequence[OutboxRow]:
    """The outbox rows this silence suppressed, oldest first."""
    query = (select(OutboxRow).join(SilencedAlert, SilencedAlert.outbox_id == OutboxRow.id)
             .where(SilencedAlert.silence_id == silence_id).order_by(OutboxRow.id))
    return session.scalars(query).all()


def silenced_counts(session: Session) -> dict[int, int]:
    """Silence id -> how many alerts it suppressed."""
    query = select(SilencedAlert.silence_id, func.count()).group_by(SilencedAlert.silence_id)
    return {int(silence_id): int(count) for silence_id, count in session.execute(query)}


def silence_of_row(session: Session, outbox_id: int) -> Silence | None:
    query = (select(Silence).join(SilencedAlert, SilencedAlert.silence_id == Silence.id)
             .where(SilencedAlert.outbox_id == outbox_id))
    return session.scalars(query).first()


def incident_causes(session: Session, source: str, thread_id: str, watchlist: str) -> tuple[list[str], list[str]]:
    """The terms and the escalation cues the thread's posts were matched and scored with for `watchlist`,
    each list in order of first appearance."""
    query = (select(MatchRow.terms, MatchRow.cues, VerdictRow.cues)
             .join(PostRow, PostRow.id == MatchRow.post_id)
             .outerjoin(VerdictRow, VerdictRow.post_id == MatchRow.post_id)
             .where(PostRow.source == source, PostRow.thread_id == thread_id, MatchRow.watchlist == watchlist)
             .order_by(PostRow.id))
    terms: dict[str, None] = {}
    cues: dict[str, None] = {}
    for match_terms, match_cues, verdict_cues in session.execute(query):
        terms.update((t, None) for t in match_terms or () if t != INHERITED_TERM)
        cues.update((c, None) for c in [*(match_cues or ()), *(verdict_cues or ())])
    return list(terms), list(cues)


def live_groups_in(session: Session, channel: str) -> bool:
    """Whether a group message for `channel` is still on its way (its members' replies wait for it)."""
    query = select(OutboxRow.id).where(OutboxRow.kind == "group", OutboxRow.channel == channel,
                                       OutboxRow.status.in_(("pending", "sending")))
    return session.scalar(query) is not None


def group_row_with_ts(session: Session, ts: str) -> OutboxRow | None:
    """The sent group message with this Slack ts (the message its members' edits rewrite)."""
    query = select(OutboxRow).where(OutboxRow.kind == "group", OutboxRow.status == "sent", OutboxRow.ts == ts)
    return session.scalars(query.order_by(OutboxRow.id.desc())).first()


def grouping_candidates(session: Session, channel: str) -> Sequence[OutboxRow]:
    """Untried "new" messages for `channel`, due or still waiting out their group_wait, oldest first."""
    query = (select(OutboxRow).where(OutboxRow.kind == "new", OutboxRow.channel == channel,
                                     OutboxRow.status == "pending", OutboxRow.attempts == 0)
             .order_by(OutboxRow.id))
    return session.scalars(query).all()
