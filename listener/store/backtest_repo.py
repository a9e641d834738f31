"""Queries behind `fangsiang backtest --since`: read a window of the live database without writing to it, and
copy what was read into a scratch store the replay may change at will.

Reads no config. The live database is opened read-only (SQLite `mode=ro`, `query_only`; elsewhere every
transaction is rolled back), because a running daemon may be using it: a backtest must never write there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import quote

from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from listener.store import Store
from listener.store.models import Base, Incident, MatchRow, OutboxRow, PostRow, Snapshot, VerdictRow
from listener.store.posts_repo import _chunks, matches_of_posts, verdicts_of




class ReadOnlyStore(Store):
    """A Store on a database that must not be written: sessions are always rolled back."""

    def __init__(self, url: str) -> None:  # no super().__init__: that would create a missing SQLite file
        self.url = url
        self.engine = _read_only_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Any:  # type: ignore[override]
        return self.trial()


def _read_only_engine(url: str) -> Any:
    if not url.startswith("sqlite:///"):
        return create_engine(url, pool_pre_ping=True)
    path = url.removeprefix("sqlite:///")
    if path == ":memory:" or not Path(path).is_file():
        raise FileNotFoundError(f"no database at {path} (storage.url {url})")
    engine = create_engine(f"sqlite:///file:{quote(str(Path(path).resolve()))}?mode=ro&uri=true",
                           connect_args={"timeout": 30})

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    event.listen(engine, "connect", pragmas)
    return engine


@dataclass
class LiveWindow:
    """What the live database holds for a window: its posts, the older topics of their threads, their stored
    verdicts and the threads' engagement snapshots, detached from the live session."""

    posts: list[PostRow] = field(default_factory=list)  # posted in the window, oldest first
    context: list[PostRow] = field(default_factory=list)  # topics posted before the window of threads in it
    verdicts: dict[int, VerdictRow] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)  # oldest first
    matched: dict[int, list[str]] = field(default_factory=dict)  # post id -> watchlists it matched live


def read_window(session: Session, since: datetime, until: datetime, snapshots_since: datetime) -> LiveWindow:
    window = LiveWindow()
    query = (select(PostRow).where(PostRow.posted_at >= since, PostRow.posted_at <= until)
             .order_by(PostRow.posted_at, PostRow.id))
    window.posts = list(session.scalars(query))
    threads = sorted({(p.source, p.thread_id) for p in window.posts})
    started = {(p.source, p.thread_id) for p in window.posts if p.is_thread_start}
    missing = [t for t in threads if t not in started]
    window.context = _thread_starts(session, missing)
    ids = [p.id for p in (*window.context, *window.posts)]
    window.verdicts = verdicts_of(session, ids)
    window.matched = {pid: [m.watchlist for m in rows] for pid, rows in matches_of_posts(session, ids).items()}
    window.snapshots = sorted(_snapshots(session, threads, snapshots_since, until), key=lambda s: (s.read_at, s.id))
    session.expunge_all()
    return window


def _thread_starts(session: Session, threads: Sequence[tuple[str, str]]) -> list[PostRow]:
    found: list[PostRow] = []
    for source, ids in _by_source(threads):
        query = select(PostRow).where(PostRow.source == source, PostRow.thread_id.in_(ids), PostRow.is_thread_start)
        found.extend(session.scalars(query))
    return sorted(found, key=lambda p: (p.posted_at, p.id))


def _snapshots(session: Session, threads: Sequence[tuple[str, str]], since: datetime,
               until: datetime) -> Iterator[Snapshot]:
    for source, ids in _by_source(threads):
        query = select(Snapshot).where(Snapshot.source == source, Snapshot.thread_id.in_(ids),
                                       Snapshot.read_at >= since, Snapshot.read_at <= until)
        yield from session.scalars(query)


def _by_source(threads: Sequence[tuple[str, str]]) -> Iterator[tuple[str, Sequence[str]]]:
    for source in sorted({s for s, _ in threads}):
        yield from ((source, chunk) for chunk in _chunks([t for s, t in threads if s == source]))


@dataclass
class RecordedOutcome:
    """What the live daemon recorded for some watchlists in a window: incidents opened and messages sent."""

    incidents: list[Incident] = field(default_factory=list)
    messages: list[OutboxRow] = field(default_factory=list)  # sent, edits in place left out


def recorded_outcome(session: Session, watchlists: Sequence[str], since: datetime, until: datetime) -> RecordedOutcome:
    outcome = RecordedOutcome()
    outcome.incidents = list(session.scalars(
        select(Incident).where(Incident.watchlist.in_(watchlists), Incident.opened_at >= since,
                               Incident.opened_at <= until).order_by(Incident.opened_at)))
    sent = session.scalars(select(OutboxRow).where(OutboxRow.status == "sent", OutboxRow.sent_at >= since,
                                                   OutboxRow.sent_at <= until, OutboxRow.kind != "update"))
    outcome.messages = [row for row in sent if _concerns(row.payload, set(watchlists))]
    session.expunge_all()
    return outcome


def _concerns(payload: dict[str, Any], watchlists: set[str]) -> bool:
    """Whether a message is about these watchlists (a digest names them only in its items)."""
    return payload.get("watchlist") in watchlists or any(_concerns(item, watchlists)
                                                          for item in payload.get("items") or ())


def clone(row: Base, **changes: Any) -> Base:
    """A new, unattached row with the same column values (and `changes`), to be added to another store."""
    values = {column.key: getattr(row, column.key) for column in row.__table__.columns}
    return type(row)(**{**values, **changes})


def new_incidents(session: Session, after_id: int) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.id > after_id).order_by(Incident.id)))


def all_incidents(session: Session) -> list[Incident]:
    return list(session.scalars(select(Incident).order_by(Incident.id)))


def matched_post_ids(session: Session, watchlists: Sequence[str]) -> set[int]:
    return set(session.scalars(select(MatchRow.post_id).where(MatchRow.watchlist.in_(watchlists))))


def rescored_post_ids(session: Session, stored: set[int]) -> set[int]:
    """Posts of the scratch store that got a verdict in the replay although none was stored."""
    return set(session.scalars(select(VerdictRow.post_id))) - stored
