"""What the alert side needs to render and deliver one message, and what delivery reports back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Alert:
    incident_id: int
    revision: int  # bumps on every change of the incident; (incident_id, revision, kind) is the idempotency key
    kind: str  # "new" | "update" | "escalation" | "reply" | "digest" | "summary" | "health"
    title: str
    url: str
    excerpt: str
    lang: str
    risk: float
    reason: str  # one line: why this matters
    watchlist: str
    severity: str  # e.g. "watch" | "high" | "critical"
    sentiment: str = ""
    engagement: dict[str, int] = field(default_factory=dict)  # comments, likes, shares, views, reactions
    growth: dict[str, float] = field(default_factory=dict)  # comments_per_hour, reactions_per_hour, acceleration
    forecast: str = ""  # the spread forecast in one line, e.g. "≈140 comments in 24 h, now 12, rising"
    channel: str = ""
    mentions: tuple[str, ...] = ()  # Slack user ids "U…" or user-group ids "S…" to ping
    message_ts: str | None = None  # set for "update": the message to edit in place
    thread_ts: str | None = None  # set for "reply"/"escalation": the parent message
    source: str = ""
    posted_at: str = ""  # ISO-8601
    items: tuple["Alert", ...] = ()  # for "digest" and "summary": the items listed
    previous_severity: str = ""  # for "escalation": the tier before this change, so the reply can say "high → critical"
    counts: dict[str, int] = field(default_factory=dict)  # for "summary": posts per sentiment label that day
    # the sender's idempotency key; Slack keeps it in the message's metadata, so a message whose answer was
    # lost (the process died mid-call) can be found again instead of being posted twice
    key: str = ""


@dataclass(frozen=True)
class Delivery:
    ok: bool
    channel: str = ""
    ts: str | None = None  # Slack message timestamp, kept to update or reply later
    retry_after: float | None = None  # seconds, when the sink asked us to back off
    error: str = ""
    permanent: bool = False  # true when retrying cannot help (bad channel, invalid auth)
