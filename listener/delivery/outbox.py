"""The alert outbox: every alert is written here before anything is sent, under an idempotency key, so a
crash or a second run can neither lose nor repeat it.

Row statuses: pending (to send) · sending (Slack called, its answer not yet recorded) · sent · dead (gave up;
ops told) · held (quiet hours) · digest (waits for its channel's next digest) · digested (went out inside a
digest) · superseded (nothing left to send it to) · silenced (a silence suppressed it; see `silences.py`) ·
grouped (went out inside one message for its group; see `grouping.py`).
Reads no config; callers pass the route options (`quiet_hours`, `digest_every`) to store with the row.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from alerts.types import Alert
from listener.store import outbox_repo
from listener.store.models import OutboxRow


def alert_key(incident_id: int, revision: int, kind: str, channel: str | None = None) -> str:
    """The idempotency key: one alert per (incident, revision, kind[, channel])."""
    key = f"incident:{incident_id}:r{revision}:{kind}"
    return f"{key}:{channel}" if channel else key


def alert_to_payload(alert: Alert) -> dict[str, Any]:
    payload = dataclasses.asdict(alert)
    payload["mentions"] = list(alert.mentions)
    payload["items"] = [alert_to_payload(item) for item in alert.items]
    return payload


def alert_from_payload(payload: dict[str, Any]) -> Alert:
    known = {f.name for f in dataclasses.fields(Alert)}
    data = {k: v for k, v in payload.items() if k in known}  # rows written by older versions stay readable
    data["mentions"] = tuple(data.get("mentions", ()))
    data["items"] = tuple(alert_from_payload(item) for item in data.get("items", ()))
    return Alert(**data)


def enqueue(session: Any, alert: Alert, *, key: str, now: datetime, due: datetime | None = None,
            status: str = "pending", route_opts: dict[str, Any] | None = None) -> OutboxRow | None:
    """Write one alert to the outbox; None when this key was already enqueued (nothing happens then).

    A new incident of a grouping route (`group_by`) waits its `group_wait` for others of its group, unless critical.
    """
    wait = (route_opts or {}).get("group_wait_s")
    if wait and alert.kind == "new" and status == "pending" and alert.severity != "critical":
        due = max(due or now, now + timedelta(seconds=float(wait)))
    row = OutboxRow(idempotency_key=key, incident_id=alert.incident_id or None, kind=alert.kind,
                    channel=alert.channel, payload=alert_to_payload(alert), status=status, attempts=0,
                    created_at=now, next_attempt_at=due or now, route_opts=route_opts)
    return outbox_repo.insert_once(session, row)


def replace_payload(session: Any, row: OutboxRow, alert: Alert, key: str) -> bool:
    """Coalesce: an untried update takes the newest state instead of queueing a second edit.

    False when another worker took the row in the meantime (it is being sent, or went into a digest): the
    caller then enqueues the new state as a row of its own, so the newest edit still reaches Slack.
    """
    return outbox_repo.replace_if_unchanged(session, row, payload=alert_to_payload(alert), idempotency_key=key,
                                            channel=alert.channel)


def requeue_dead(session: Any, ids: Iterable[int] | None = None, *, now: datetime | None = None) -> int:
    """Put dead alerts back in line (all of them, or those among `ids`); the number re-queued.

    Once the cause is fixed (a new token, the bot invited to the channel) the row is sent as if new: its
    attempts start again from zero and it is due at once. Its last error stays until a send succeeds, so the
    outbox still shows why it had died. Ids that are not dead (sent, pending, unknown) are left alone.
    """
    rows = outbox_repo.dead_rows(session, None if ids is None else list(ids))
    due = now or datetime.now(timezone.utc)
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = "pending", 0, due
    return len(rows)


def enqueue_health(session: Any, event: Any, *, channel: str, kind_label: str = "",
                   now: datetime | None = None) -> OutboxRow | None:
    """A source-health alert for the ops channel ("Pantip scraper is blind since 09:12"), once per event key.

    `event` is any object with `source`, `kind`, `reason`, `since` and `key` (see `listener/ingest/health.py`).
    """
    label = f"{kind_label} " if kind_label else ""
    state = {"degraded": "is blind", "reminder": "is still blind", "recovered": "recovered"}.get(event.kind, event.kind)
    title = f"{event.source} ({label.strip() or 'source'}) {state} since {event.since:%Y-%m-%d %H:%M} UTC"
    alert = Alert(incident_id=0, revision=0, kind="health", title=title, url="", excerpt=event.reason, lang="en",
                  risk=0.0, reason=event.reason, watchlist="", severity="high", channel=channel,
                  source=event.source, posted_at=event.since.isoformat())
    return enqueue(session, alert, key=event.key, now=now or event.since)
