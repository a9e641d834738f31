"""The database schema: every pipeline stage reads its input from these tables and writes its output back.

Stages find their work by NULL timestamps: `posts.scored_at IS NULL` is work for the scorer,
`posts.evaluated_at IS NULL` (and scored) is work for watchlists/risk/incidents, and
`outbox.status IN ('pending', 'sending')` is work for the dispatcher. So a killed process resumes where it stopped.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values only")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class SourceState(Base):
    """One row per configured source: its resume cursor and its health."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    http_validators: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # URL -> ETag/Last-Modified
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_new_posts_at: Mapped[datetime | None] = mapped_column(default=None)
    typical_gap_s: Mapped[float | None] = mapped_column(Float, default=None)  # usual time between new posts
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    zero_result_streak: Mapped[int] = mapped_column(default=0)
    runs_total: Mapped[int] = mapped_column(default=0)
    errors_total: Mapped[int] = mapped_column(default=0)
    posts_total: Mapped[int] = mapped_column(default=0)
    rejected_total: Mapped[int] = mapped_column(default=0)  # posts set aside in rejected_posts
    rejection_streak: Mapped[int] = mapped_column(default=0)  # runs in a row that set posts aside
    last_rejection: Mapped[str | None] = mapped_column(Text, default=None)  # why the latest was set aside
    degraded_since: Mapped[datetime | None] = mapped_column(default=None)
    degraded_reason: Mapped[str | None] = mapped_column(Text, default=None)
    degraded_notified_at: Mapped[datetime | None] = mapped_column(default=None)


class ThreadCursor(Base):
    """Where the next read of one thread goes on from (its scraper's cursor), one row per thread, so a re-read
    reads and writes its own thread's row and nothing that grows with the number of tracked threads."""

    __tablename__ = "thread_cursors"
    __table_args__ = (Index("ix_thread_cursors_updated_at", "updated_at"),)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class RereadBudget(Base):
    """A source's re-read allowance: a token bucket of requests, refilled at `tracking.requests_per_hour`."""

    __tablename__ = "reread_budgets"
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_posts_source_external_id"),
        Index("ix_posts_thread", "source", "thread_id"),
        Index("ix_posts_scored_at", "scored_at"),
        Index("ix_posts_evaluated_at", "evaluated_at"),
        Index("ix_posts_text_expiry", "text_expired_at", "posted_at"),  # retention finds old unexpired text
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    external_id: Mapped[str] = mapped_column(String(300))
    thread_id: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[str | None] = mapped_column(String(300), default=None)
    is_thread_start: Mapped[bool] = mapped_column(Boolean, default=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(300), default="")
    posted_at: Mapped[datetime]
    lang: Mapped[str | None] = mapped_column(String(10), default=None)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    raw_ref: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime]
    backfill: Mapped[bool] = mapped_column(Boolean, default=False)  # read on a source's first run
    scored_at: Mapped[datetime | None] = mapped_column(default=None)
    evaluated_at: Mapped[datetime | None] = mapped_column(default=None)
    # set when storage.keep_text_days masked or dropped the text (so housekeeping passes over it next time)
    text_expired_at: Mapped[datetime | None] = mapped_column(default=None)


class RejectedPost(Base):
    """A post the store could not keep even after cleaning (e.g. an id longer than the column), kept aside
    with the reason so it is counted and can be looked at, while its source's cursor moves on."""

    __tablename__ = "rejected_posts"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_rejected_posts_source_external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(300))  # cut to fit when it was the problem
    url: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, default="")  # the start of the cleaned text
    rejected_at: Mapped[datetime]


class Snapshot(Base):
    """Engagement of a thread (or post) at one moment; a series of these shows a thread growing."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_thread_time", "source", "thread_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    thread_id: Mapped[str] = mapped_column(String(300))
    external_id: Mapped[str] = mapped_column(String(300))
    read_at: Mapped[datetime]
    comments: Mapped[int | None] = mapped_column(default=None)
    likes: Mapped[int | None] = mapped_column(default=None)
    shares: Mapped[int | None] = mapped_column(default=None)
    views: Mapped[int | None] = mapped_column(default=None)
    reactions: Mapped[int | None] = mapped_column(default=None)


class VerdictRow(Base):
    __tablename__ = "verdicts"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    lang: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(30))
    probs: Mapped[dict[str, Any]] = mapped_column(JSON)
    complaint: Mapped[float] = mapped_column(Float)
    cues: Mapped[list[Any]] = mapped_column(JSON, default=list)
    model: Mapped[str] = mapped_column(String(100))
    scored_at: Mapped[datetime]


class MatchRow(Base):
    """A post that matched a watchlist, with its risk at evaluation time."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("post_id", "watchlist", name="uq_matches_post_watchlist"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    watchlist: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cues: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the watchlist's own escalation cues found
    risk: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    matched_at: Mapped[datetime]


class Incident(Base):
    """One per thread and watchlist: the unit a Slack message follows."""

    __tablename__ = "incidents"
    __table_args__ = (UniqueConstraint("source", "thread_id", "watchlist", name="uq_incidents_thread"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    thread_id: Mapped[str] = mapped_column(String(300))
    watchlist: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    severity: Mapped[str] = mapped_column(String(20), default="watch")
    risk: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(10), default="und")
    sentiment: Mapped[str] = mapped_column(String(30), default="")
    revision: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    next_poll_at: Mapped[datetime | None] = mapped_column(default=None)
    channel: Mapped[str | None] = mapped_column(String(100), default=None)
    message_ts: Mapped[str | None] = mapped_column(String(50), default=None)
    acked_by: Mapped[str | None] = mapped_column(String(100), default=None)
    acked_at: Mapped[datetime | None] = mapped_column(default=None)
    snoozed_until: Mapped[datetime | None] = mapped_column(default=None)
    not_relevant: Mapped[bool] = mapped_column(Boolean, default=False)
    # the post whose verdict drives the risk (the thread start or its riskiest comment), re-scored with growth
    driver_post_id: Mapped[int | None] = mapped_column(default=None)
    announced_at: Mapped[datetime | None] = mapped_column(default=None)  # a "new" message was enqueued
    time_to_ack_s: Mapped[float | None] = mapped_column(Float, default=None)
    snoozed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    # the highest tier the channel was told about, and when the incident last stood at it: a rise back to a tier
    # already announced is only news again after `alerting.tier_memory_hours` away from it
    announced_severity: Mapped[str | None] = mapped_column(String(20), default=None)
    announced_tier_at: Mapped[datetime | None] = mapped_column(default=None)
    # risky comments told one by one, and those held for the next summary: {"told", "held", "top", "through",
    # "summaries", "summarised_at"} (see listener/incidents/comments.py)
    comment_tally: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # the latest growth forecast shown on the card: {"expected", "low", "high", "now", "horizon_s", "trend", ...}
    forecast: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class OutboxRow(Base):
    """An alert decided but maybe not yet delivered. Written before Slack is called; sent only on ok.

    Just before each call the row is committed as "sending": a process killed while Slack holds the message
    leaves it so, and the next pass looks in the channel for the message (by this key) before sending again.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), default=None)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(100), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sending | sent | dead | held …
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # when Slack was last called for it: a "sending" row looks for its message from here on after a crash
    attempted_at: Mapped[datetime | None] = mapped_column(default=None)
    ts: Mapped[str | None] = mapped_column(String(50), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # the route's quiet hours and digest cadence at enqueue time, so the dispatcher needs no watchlists
    route_opts: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class JobLease(Base):
    """One row per shared job (a source's poll, housekeeping): when it is next due, and which daemon runs it.

    Several daemons on one database claim a due job with one conditional UPDATE, so each poll runs once per
    schedule in total; a running daemon keeps renewing `lease_until`, so one that dies loses its claim
    within a lease and another takes the job over.
    """

    __tablename__ = "job_leases"
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    next_run_at: Mapped[datetime]
    owner: Mapped[str | None] = mapped_column(String(200), default=None)  # the daemon running it now
    lease_until: Mapped[datetime | None] = mapped_column(default=None)  # NULL: not running
    last_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    last_started_at: Mapped[datetime | None] = mapped_column(default=None)


class Silence(Base):
    """Notifications held back for a while for what its matchers name (all set ones must match, as in
    Alertmanager): a watchlist, a thread (source + thread_id), a term (a matched term or cue). Incidents
    keep being evaluated and recorded; only the Slack messages about them are suppressed."""

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_ends_at", "ends_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist: Mapped[str | None] = mapped_column(String(200), default=None)
    source: Mapped[str | None] = mapped_column(String(200), default=None)
    thread_id: Mapped[str | None] = mapped_column(String(300), default=None)
    term: Mapped[str | None] = mapped_column(String(300), default=None)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    expired_by: Mapped[str | None] = mapped_column(String(100), default=None)  # ended early, by whom
    # when the "silence ended" notice (what was suppressed) was written to the outbox; NULL while due
    released_at: Mapped[datetime | None] = mapped_column(default=None)


class SilencedAlert(Base):
    """An outbox row a silence suppressed: what the silence held back, listed when it ends."""

    __tablename__ = "silenced_alerts"
    silence_id: Mapped[int] = mapped_column(ForeignKey("silences.id", ondelete="CASCADE"), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    silenced_at: Mapped[datetime]
