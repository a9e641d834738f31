"""Read queries behind the web console: incidents with filters, a thread's posts with their verdicts and
matches, an incident's outbox rows, and failed deliveries. Writes go through the daemon's own functions.

Reads no config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from listener.store.models import Incident, MatchRow, OutboxRow, PostRow, Snapshot, VerdictRow

PAGE = 200


@dataclass(frozen=True)
class IncidentFilter:
    status: str = "open"  # open | closed | all
    severity: str = ""  # "" for every tier
    watchlist: str = ""
    acked: str = ""  # "" | "yes" | "no"


@dataclass(frozen=True)
class ThreadPost:
    post: PostRow
    verdict: VerdictRow | None
    match: MatchRow | None  # this incident's watchlist's match of the post (its risk and reason)


def incidents(session: Session, wanted: IncidentFilter, limit: int = PAGE) -> Sequence[Incident]:
    """Incidents matching the filter, riskiest first among the most recently active."""
    query = select(Incident)
    if wanted.status in ("open", "closed"):
        query = query.where(Incident.status == wanted.status)
    if wanted.severity:
        query = query.where(Incident.severity == wanted.severity)
    if wanted.watchlist:
        query = query.where(Incident.watchlist == wanted.watchlist)
    if wanted.acked == "yes":
        query = query.where(Incident.acked_at.is_not(None))
    elif wanted.acked == "no":
        query = query.where(Incident.acked_at.is_(None))
    query = query.order_by(Incident.last_activity_at.desc(), Incident.id.desc()).limit(limit)
    return session.scalars(query).all()


def incident_watchlists(session: Session) -> list[str]:
    return list(session.scalars(select(Incident.watchlist).distinct().order_by(Incident.watchlist)))


def thread_posts(session: Session, incident: Incident, limit: int = 500) -> list[ThreadPost]:
    """The thread's posts in the order they were written, each with its verdict and its match for the incident's
    watchlist (absent when the post matched no watchlist and was never scored)."""
    query = (select(PostRow, VerdictRow, MatchRow)
             .outerjoin(VerdictRow, VerdictRow.post_id == PostRow.id)
             .outerjoin(MatchRow, (MatchRow.post_id == PostRow.id) & (MatchRow.watchlist == incident.watchlist))
             .where(PostRow.source == incident.source, PostRow.thread_id == incident.thread_id)
             .order_by(PostRow.is_thread_start.desc(), PostRow.posted_at, PostRow.id).limit(limit))
    return [ThreadPost(post, verdict, match) for post, verdict, match in session.execute(query)]


def thread_snapshots(session: Session, incident: Incident, limit: int = 2000) -> Sequence[Snapshot]:
    """Every engagement reading of the thread itself (or of its posts when the thread has none), oldest first."""
    base = (select(Snapshot).where(Snapshot.source == incident.source, Snapshot.thread_id == incident.thread_id)
            .order_by(Snapshot.read_at, Snapshot.id).limit(limit))
    own = session.scalars(base.where(Snapshot.external_id == incident.thread_id)).all()
    return own if own else session.scalars(base).all()


def incident_rows(session: Session, incident_id: int) -> Sequence[OutboxRow]:
    """Every message decided for the incident, in order."""
    return session.scalars(select(OutboxRow).where(OutboxRow.incident_id == incident_id)
                           .order_by(OutboxRow.id)).all()


def outbox_rows(session: Session, view: str, limit: int = PAGE) -> Sequence[OutboxRow]:
    """`failed`: dead rows and rows retrying after an error; `waiting`: pending, sending, held, silenced;
    `all`: everything; newest first."""
    query = select(OutboxRow)
    if view == "failed":
        query = query.where(or_(OutboxRow.status == "dead",
                                OutboxRow.status.in_(("pending", "sending")) & OutboxRow.last_error.is_not(None)))
    elif view == "waiting":
        query = query.where(OutboxRow.status.in_(("pending", "sending", "held", "digest", "silenced")))
    return session.scalars(query.order_by(OutboxRow.id.desc()).limit(limit)).all()
