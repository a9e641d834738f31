"""The ingest stage: run one source's scraper from its stored cursor and store what it found.

Posts, engagement snapshots, the new cursor, the cursors of the threads the run read (where the thread
tracker goes on from) and the health counters are written in ONE transaction, so a crash either keeps all
of a run or none of it: a restart neither duplicates nor skips.
A failing source is logged, counted and retried on its next run; it never stops the other sources.

One bad post never fails its run: posts are cleaned on the way in, and a post the store cannot keep is
set aside in `rejected_posts` with the reason (counted per source) while the cursor moves on. If a run
still cannot be stored, each post is tried alone to find the ones the database refuses; those are set
aside and the run is stored without them. Anything else is recorded as the source's failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable

from listener import metrics
from listener.ingest import health
from listener.config.schema import HealthConfig, SourceConfig
from listener.ingest.health import HealthEvent
from listener.shutdown import ShuttingDown
from listener.store import Store
from listener.store.cleaning import clean_json
from listener.store.posts_repo import Key, StoredPosts, record_snapshots, refused_posts, store_posts
from listener.store.sources_repo import add_thread_cursors, source_state
from scrapers.base import FetchResult, Post, ScrapeError
from scrapers.http import Interrupted

log = logging.getLogger(__name__)
MAX_VALIDATORS = 500  # ETag/Last-Modified pairs kept per source


@dataclass
class IngestResult:
    source: str
    fetched: int = 0
    new: int = 0
    rejected: int = 0  # posts set aside because the store could not keep them
    error: str | None = None
    health_event: HealthEvent | None = None


def ingest_source(store: Store, source: SourceConfig, scraper: object, *, health_config: HealthConfig,
                  clock: Callable[[], datetime],
                  on_health: Callable[[object, HealthEvent], None] | None = None) -> IngestResult:
    """Fetch from the stored cursor, store new posts and the new cursor; record health either way."""
    http = getattr(scraper, "http", None)
    with store.session() as session:
        state = source_state(session, source.name, source.kind)
        cursor = state.cursor
        if http is not None and state.http_validators:  # conditional GETs survive a restart
            http.import_validators(state.http_validators)
    first_run = cursor is None
    try:
        fetched: FetchResult = scraper.fetch(cursor)  # type: ignore[attr-defined]
    except (ShuttingDown, Interrupted):  # waiting out a retry, or mid-request
        log.info("source %s: interrupted by shutdown; it resumes from the same cursor next time", source.name)
        return IngestResult(source.name, error="interrupted by shutdown")
    except Exception as exc:  # one source's failure must never stop the others
        return _record_failure(store, source, exc, health_config, clock, on_health)
    try:
        return _record_success(store, source, fetched, first_run, health_config, clock, on_health, http)
    except Exception as exc:  # the run could not be stored: a failure like any other; the cursor stays
        return _record_failure(store, source, exc, health_config, clock, on_health)


def store_thread_posts(session: Any, posts: list[Post], *, now: datetime) -> int:
    """Store what the thread tracker re-read: new comments, and snapshots of everything."""
    stored = store_posts(session, posts, now=now, backfill=False)
    record_snapshots(session, stored.kept, now=now)
    for post, _ in stored.rejected:
        source_state(session, post.source, post.kind).rejected_total += 1
    _log_rejections(stored)
    return len(stored.new)


def _with_refusals(store: Store, posts: list[Post], now: datetime,
                   write: Callable[[dict[Key, str]], StoredPosts]) -> StoredPosts:
    """`write` the run; if the database refuses it, once more without the posts it refuses one by one."""
    try:
        return write({})
    except Exception:
        refused = refused_posts(store.trial, posts, now=now)
        if not refused:
            raise  # not a post's fault: the caller records the failure
        return write(refused)


def _record_success(store: Store, source: SourceConfig, fetched: FetchResult, first_run: bool,
                    health_config: HealthConfig, clock: Callable[[], datetime],
                    on_health: Callable[[object, HealthEvent], None] | None, http: Any = None) -> IngestResult:
    now = clock()
    posts = _stamped(fetched.posts, source.name)
    events: list[HealthEvent | None] = []

    def write(refused: dict[Key, str]) -> StoredPosts:
        with store.session() as session:
            backfill = first_run and not source.alert_on_backfill
            stored = store_posts(session, posts, now=now, backfill=backfill, refused=refused)
            record_snapshots(session, stored.kept, now=now)
            add_thread_cursors(session, source.name, clean_json(fetched.threads), now)
            state = source_state(session, source.name, source.kind)
            state.cursor = clean_json(fetched.cursor)
            if http is not None:  # saved with the cursor they belong to
                state.http_validators = clean_json(dict(list(http.export_validators().items())[-MAX_VALIDATORS:]))
            health.record_success(state, new_posts=len(stored.new), rejected=len(stored.rejected), now=now,
                                  rejection=stored.rejected[-1][1] if stored.rejected else None)
            event = health.assess(state, interval=source.schedule.interval(), config=health_config, now=now)
            if event and on_health:
                on_health(session, event)
        events[:] = [event]
        return stored

    stored = _with_refusals(store, posts, now, write)
    event = events[0]
    new = stored.new
    _log_rejections(stored)
    metrics.POSTS_INGESTED.labels(source.name).inc(len(new))
    metrics.POSTS_REJECTED.labels(source.name).inc(len(stored.rejected))
    metrics.SOURCE_DEGRADED.labels(source.name).set(0 if event is None or event.kind == "recovered" else 1)
    log.info("source %s: %d fetched, %d new%s%s", source.name, len(posts), len(new),
             f", {len(stored.rejected)} set aside" if stored.rejected else "",
             " (backfill, not alerted)" if first_run and not source.alert_on_backfill and new else "")
    return IngestResult(source.name, fetched=len(posts), new=len(new), rejected=len(stored.rejected),
                        health_event=event)


def _log_rejections(stored: StoredPosts) -> None:
    for post, reason in stored.rejected:
        log.warning("source %s: post %r set aside in rejected_posts: %s", post.source, post.external_id[:80], reason)
    if stored.cleaned:
        log.info("%d post(s) cleaned of characters the store cannot keep (NUL, lone surrogates)", stored.cleaned)


def _record_failure(store: Store, source: SourceConfig, exc: Exception, health_config: HealthConfig,
                    clock: Callable[[], datetime],
                    on_health: Callable[[object, HealthEvent], None] | None) -> IngestResult:
    now = clock()
    url = getattr(exc, "url", "")
    message = f"{type(exc).__name__}: {exc}" + (f" ({url})" if url and url not in str(exc) else "")
    layout_changed = isinstance(exc, ScrapeError) and exc.layout_changed
    log.warning("source %s failed: %s", source.name, message, exc_info=not isinstance(exc, ScrapeError))
    with store.session() as session:
        state = source_state(session, source.name, source.kind)
        repeated = health.record_failure(state, clean_json(message), now=now,
                                         transient=bool(getattr(exc, "transient", False)))
        event = health.assess(state, interval=source.schedule.interval(), config=health_config, now=now,
                              layout_changed=layout_changed, repeated=repeated)
        if event and on_health:
            on_health(session, event)
    metrics.SOURCE_ERRORS.labels(source.name).inc()
    if event and event.kind != "recovered":
        metrics.SOURCE_DEGRADED.labels(source.name).set(1)
    return IngestResult(source.name, error=message, health_event=event)


def _stamped(posts: list[Post], name: str) -> list[Post]:
    """Posts carry the configured source name, the dedupe key's first half."""
    return [p if p.source == name else replace(p, source=name) for p in posts]
