"""Queries for posts, snapshots, verdicts and matches: what the ingest, scoring and evaluation stages read and write.

Posts are cleaned before they are written (`listener.store.cleaning`); a post that cannot be kept even so is
written to `rejected_posts` with the reason instead, so one bad post never fails the run that carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, ContextManager, Iterable, Sequence

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from listener.store.cleaning import ID_CHARS, Unstorable, clean_post, clean_text
from listener.store.models import MatchRow, PostRow, RejectedPost, Snapshot, VerdictRow
from scrapers.base import Post

Key = tuple[str, str]  # (source, external_id)


@dataclass
class StoredPosts:
    new: list[PostRow] = field(default_factory=list)  # rows written now
    kept: list[Post] = field(default_factory=list)  # the cleaned posts, new or already known
    rejected: list[tuple[Post, str]] = field(default_factory=list)  # set aside, with the reason
    cleaned: int = 0  # posts whose text had to be cleaned


def store_posts(session: Session, posts: Iterable[Post], *, now: datetime, backfill: bool,
                refused: dict[Key, str] | None = None) -> StoredPosts:
    """Clean and store posts not seen before (dedupe on source + external_id); set aside what cannot be
    stored, and the posts in `refused` (ones this database was found to refuse, with its reason)."""
    result = StoredPosts()
    for post in _unique(posts):
        try:
            cleaned = clean_post(post)
        except Unstorable as exc:
            result.rejected.append((post, str(exc)))
            continue
        if (post.source, post.external_id) in (refused or {}):
            result.rejected.append((cleaned, (refused or {})[(post.source, post.external_id)]))
            continue
        result.cleaned += cleaned is not post
        result.kept.append(cleaned)
    existing = _existing_ids(session, result.kept) if result.kept else set()
    fresh = [post for post in result.kept if (post.source, post.external_id) not in existing]
    try:
        with session.begin_nested():
            result.new = [_row(post, now, backfill) for post in fresh]
            session.add_all(result.new)
            session.flush()
    except IntegrityError:
        # Another worker stored some of them since we looked (a thread re-read and a poll of the same topic on
        # two daemons): keep the rest, each in its own savepoint, instead of failing the whole run.
        result.new = [row for post in fresh if (row := _insert_one(session, post, now, backfill)) is not None]
    _set_aside(session, result.rejected, now)
    return result


def insert_new_posts(session: Session, posts: Iterable[Post], *, now: datetime, backfill: bool) -> list[PostRow]:
    """Store posts not seen before (dedupe on source + external_id); return the new rows."""
    return store_posts(session, posts, now=now, backfill=backfill).new


def refused_posts(trial: Callable[[], ContextManager[Session]], posts: Iterable[Post], *,
                  now: datetime) -> dict[Key, str]:
    """The posts this database refuses and why, each written alone with its snapshot in a transaction
    that is always rolled back. Used only after a run failed to store, to find the posts to blame."""
    found: dict[Key, str] = {}
    for post in _unique(posts):
        try:
            cleaned = clean_post(post)
        except Unstorable:
            continue  # store_posts sets these aside on its own
        try:
            with trial() as session:
                session.add(_row(cleaned, now, False))
                record_snapshots(session, [cleaned], now=now)
                session.flush()
        except Exception as exc:  # whatever this backend raises for it (encoding, range, constraint)
            found[(post.source, post.external_id)] = f"refused by the database: {type(exc).__name__}: {exc}"[:2000]
    return found


def _set_aside(session: Session, rejected: list[tuple[Post, str]], now: datetime) -> None:
    if not rejected:
        return
    ids = {clean_text(p.external_id)[:ID_CHARS] for p, _ in rejected}
    known = set(session.scalars(select(RejectedPost.external_id).where(
        RejectedPost.source.in_({p.source for p, _ in rejected}), RejectedPost.external_id.in_(ids))))
    for post, reason in rejected:
        ident = clean_text(post.external_id)[:ID_CHARS]
        if ident in known:
            continue  # the thread tracker may meet the same bad comment on every re-read
        known.add(ident)
        session.add(RejectedPost(source=post.source, external_id=ident, url=clean_text(post.url), reason=reason,
                                 excerpt=clean_text(post.text)[:500], rejected_at=now))
    session.flush()


def _insert_one(session: Session, post: Post, now: datetime, backfill: bool) -> PostRow | None:
    try:
        with session.begin_nested():
            row = _row(post, now, backfill)
            session.add(row)
            session.flush()
        return row
    except IntegrityError:
        if _existing_ids(session, [post]):
            return None  # another worker stored it first
        raise  # the database refuses the post itself: the caller finds out which and why


def record_snapshots(session: Session, posts: Iterable[Post], *, now: datetime) -> int:
    """One engagement snapshot per post that carries any counter, so later stages can see growth.

    A post its scraper did not time (`read_at` None) was read at `now`, the listener's clock when the fetch
    returned: growth is measured on one clock, the simulated one in a replay."""
    count = 0
    for post in posts:
        e = post.engagement
        if all(v is None for v in (e.comments, e.likes, e.shares, e.views, e.reactions)):
            continue
        session.add(Snapshot(source=post.source, thread_id=post.thread_id, external_id=post.external_id,
                             read_at=post.read_at or now, comments=e.comments, likes=e.likes, shares=e.shares,
                             views=e.views, reactions=e.reactions))
        count += 1
    return count


def posts_to_score(session: Session, limit: int) -> Sequence[PostRow]:
    query = select(PostRow).where(PostRow.scored_at.is_(None)).order_by(PostRow.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Several workers may share the queue: a comment waits until its topic's scoring is committed
        # (perhaps by another worker) so that it inherits the topic's watchlists, instead of missing them.
        start = aliased(PostRow)
        query = query.where(~exists().where(start.source == PostRow.source, start.thread_id == PostRow.thread_id,
                                            start.is_thread_start, start.scored_at.is_(None), start.id != PostRow.id))
    return session.scalars(_claim(session, query)).all()


def posts_to_evaluate(session: Session, limit: int) -> Sequence[PostRow]:
    query = (select(PostRow).where(PostRow.scored_at.is_not(None), PostRow.evaluated_at.is_(None))
             .order_by(PostRow.id).limit(limit))
    return session.scalars(_claim(session, query)).all()


def thread_watchlists(session: Session, source: str, thread_id: str) -> list[str]:
    """Watchlists that the thread's other posts matched (a comment inherits its thread's watchlists)."""
    query = (select(MatchRow.watchlist).join(PostRow, PostRow.id == MatchRow.post_id)
             .where(PostRow.source == source, PostRow.thread_id == thread_id).distinct())
    return list(session.scalars(query))


def thread_titles(session: Session, threads: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(source, thread id) -> the title of the thread's first post, for the threads the store has started."""
    found: dict[tuple[str, str], str] = {}
    by_source: dict[str, list[str]] = {}
    for source, thread in threads:
        by_source.setdefault(source, []).append(thread)
    for source, ids in by_source.items():
        for chunk in _chunks(ids):
            query = select(PostRow.source, PostRow.thread_id, PostRow.title).where(
                PostRow.source == source, PostRow.thread_id.in_(chunk), PostRow.is_thread_start)
            found.update(((s, t), title) for s, t, title in session.execute(query) if title)
    return found


def verdicts_of(session: Session, post_ids: Sequence[int]) -> dict[int, VerdictRow]:
    """Verdicts of many posts by post id, in one query per chunk rather than one per post."""
    found: dict[int, VerdictRow] = {}
    for chunk in _chunks(post_ids):
        found.update((v.post_id, v) for v in session.scalars(select(VerdictRow).where(VerdictRow.post_id.in_(chunk))))
    return found


def matches_of_posts(session: Session, post_ids: Sequence[int]) -> dict[int, list[MatchRow]]:
    """Matches of many posts by post id, each post's in watchlist order (a fixed order across backends)."""
    found: dict[int, list[MatchRow]] = {}
    for chunk in _chunks(post_ids):
        query = select(MatchRow).where(MatchRow.post_id.in_(chunk)).order_by(MatchRow.post_id, MatchRow.watchlist)
        for match in session.scalars(query):
            found.setdefault(match.post_id, []).append(match)
    return found


def mark_evaluated(session: Session, post_ids: list[int], now: datetime) -> None:
    if post_ids:
        session.execute(update(PostRow).where(PostRow.id.in_(post_ids)).values(evaluated_at=now))


def expire_texts(session: Session, posted_before: datetime, now: datetime, rewrite: Callable[[str, str], str],
                 limit: int = 500) -> int:
    """Rewrite the title and text of up to `limit` evaluated posts older than `posted_before` (retention)."""
    query = (select(PostRow).where(PostRow.posted_at < posted_before, PostRow.text_expired_at.is_(None),
                                   PostRow.evaluated_at.is_not(None)).order_by(PostRow.id).limit(limit))
    rows = session.scalars(_claim(session, query)).all()
    for row in rows:
        row.title, row.text, row.text_expired_at = rewrite(row.title, "title"), rewrite(row.text, "text"), now
    return len(rows)


def _claim(session: Session, query):  # type: ignore[no-untyped-def]
    """On PostgreSQL, let several workers share the queue without taking the same rows."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    # keeps each IN list under the bound-parameter limits of every backend
    return (ids[start:start + size] for start in range(0, len(ids), size))


def _unique(posts: Iterable[Post]) -> list[Post]:
    seen: dict[tuple[str, str], Post] = {}
    for post in posts:
        seen.setdefault((post.source, post.external_id), post)
    return list(seen.values())


def _existing_ids(session: Session, posts: list[Post]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    by_source: dict[str, list[str]] = {}
    for post in posts:
        by_source.setdefault(post.source, []).append(post.external_id)
    for source, ids in by_source.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            query = select(PostRow.external_id).where(PostRow.source == source, PostRow.external_id.in_(chunk))
            found.update((source, external_id) for external_id in session.scalars(query))
    return found


def _row(post: Post, now: datetime, backfill: bool) -> PostRow:
    return PostRow(source=post.source, kind=post.kind, external_id=post.external_id, thread_id=post.thread_id,
                   parent_id=post.parent_id, is_thread_start=post.is_thread_start, url=post.url,
                   title=post.title, text=post.text, author=post.author, posted_at=post.posted_at,
                   lang=post.lang, tags=list(post.tags), raw_ref=post.raw_ref, first_seen_at=now,
                   backfill=backfill)
