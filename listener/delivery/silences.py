"""Silences, in the Alertmanager sense: for a while, no Slack message about a watchlist, a thread or a term.

Incidents keep being evaluated, recorded and updated in the database; only their notifications are held
back. The dispatcher asks `silence_row` before the first try of each notifying row ("new", "reply",
"escalation"); digest lines and alerts held for quiet hours are checked before their digest is built. A
suppressed row gets status "silenced" and is linked to its silence, so the console and `fangsiang silence
list` show what each silence held back. When a silence ends (its time is up, or someone expired it) one
notice per channel lists what it suppressed, each incident as it is then, and incidents whose first message
was suppressed may earn their own message on their next change.

A silence's matchers (`watchlist`, `thread` = source + thread id, `term`) must all match, and at least one is
set. A term matches a matched watchlist term or an escalation cue, case-insensitively.
Reads no config: silences are made from the console, a Slack button or `fangsiang silence add`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from listener.delivery.digests import current_state, digest_alert, latest_per_incident, unannounce
from listener.delivery.outbox import enqueue
from listener.store import incidents_repo, outbox_repo, silences_repo
from listener.store.models import OutboxRow, Silence

SILENCEABLE_KINDS = frozenset({"new", "reply", "escalation"})
MAX_SILENCE = timedelta(days=366)


@dataclass(frozen=True)
class Target:
    """What one alert is about, as far as silences are concerned."""

    watchlist: str
    source: str
    thread_id: str
    terms: frozenset[str]  # matched terms and cues, casefolded


def add_silence(session: Any, *, now: datetime, duration: timedelta, watchlist: str | None = None,
                thread: tuple[str, str] | None = None, term: str | None = None, by: str = "",
                comment: str = "") -> Silence:
    """Start a silence now for `duration`; ValueError when it names nothing or its duration makes no sense."""
    watchlist, term = (watchlist or "").strip() or None, (term or "").strip() or None
    if watchlist is None and thread is None and term is None:
        raise ValueError("a silence needs a watchlist, a thread or a term")
    if not timedelta(0) < duration <= MAX_SILENCE:
        raise ValueError("a silence lasts more than 0 s and at most 366 days")
    source, thread_id = thread if thread is not None else (None, None)
    silence = Silence(watchlist=watchlist, source=source, thread_id=thread_id, term=term, starts_at=now,
                      ends_at=now + duration, created_by=by, comment=comment.strip(), created_at=now)
    return silences_repo.add_silence(session, silence)


def silence_incident(session: Any, incident_id: int, scope: str, *, hours: float, by: str,
                     now: datetime) -> Silence | None:
    """Silence an incident's thread (`scope` "thread") or its watchlist ("watchlist"), as the Slack menu asks;
    None when the incident is unknown."""
    incident = incidents_repo.get_incident(session, incident_id)
    if incident is None:
        return None
    where = {"thread": (incident.source, incident.thread_id)} if scope == "thread" else {"watchlist": incident.watchlist}
    return add_silence(session, now=now, duration=timedelta(hours=hours), by=by,
                       comment=f"from Slack, on incident #{incident_id}", **where)  # type: ignore[arg-type]


def expire_silence(session: Any, silence_id: int, *, now: datetime, by: str = "") -> Silence | None:
    """End a running silence now; None when there is no such silence. An ended one is left as it was."""
    silence = silences_repo.get_silence(session, silence_id)
    if silence is None:
        return None
    if silence.ends_at > now:
        silence.ends_at, silence.expired_by = max(now, silence.starts_at), by or "unknown"
    return silence


def describe(silence: Silence) -> str:
    """What a silence covers, in words: `watchlist acme · thread pantip/4351 · term "สคบ."`."""
    parts = []
    if silence.watchlist:
        parts.append(f"watchlist {silence.watchlist}")
    if silence.thread_id:
        parts.append(f"thread {silence.source}/{silence.thread_id}")
    if silence.term:
        parts.append(f'term "{silence.term}"')
    return " · ".join(parts)


def matching(silences: Sequence[Silence], target: Target) -> Silence | None:
    for silence in silences:
        if silence.watchlist and silence.watchlist != target.watchlist:
            continue
        if silence.thread_id and (silence.source, silence.thread_id) != (target.source, target.thread_id):
            continue
        if silence.term and silence.term.casefold() not in target.terms:
            continue
        return silence
    return None


def target_of(session: Any, row: OutboxRow) -> Target:
    payload = row.payload or {}
    incident = incidents_repo.get_incident(session, row.incident_id) if row.incident_id else None
    if incident is None:
        return Target(payload.get("watchlist", ""), payload.get("source", ""), "", frozenset())
    terms, cues = silences_repo.incident_causes(session, incident.source, incident.thread_id, incident.watchlist)
    return Target(incident.watchlist, incident.source, incident.thread_id,
                  frozenset(t.casefold() for t in [*terms, *cues]))


def silence_row(session: Any, row: OutboxRow, silences: Sequence[Silence], now: datetime) -> Silence | None:
    """Suppress `row` when an active silence covers it; the silence that did, or None."""
    if not silences or row.kind not in SILENCEABLE_KINDS:
        return None
    silence = matching(silences, target_of(session, row))
    if silence is not None:
        row.status = "silenced"
        silences_repo.record_silenced(session, silence.id, row.id, now)
    return silence


def silence_waiting(session: Any, now: datetime) -> int:
    """Digest lines and quiet-hours holds covered by an active silence leave their digest (before it is built)."""
    silences = silences_repo.active_silences(session, now)
    if not silences:
        return 0
    done = 0
    for status in ("digest", "held"):
        for row in outbox_repo.rows_with_status(session, status):
            silence = matching(silences, target_of(session, row)) if row.incident_id else None
            if silence is not None:
                row.status = "silenced"
                silences_repo.record_silenced(session, silence.id, row.id, now)
                done += 1
    return done


def release_ended(session: Any, now: datetime) -> int:
    """For each silence that ended: one notice per channel of what it suppressed; the number of notices."""
    made = 0
    for silence in silences_repo.ended_unreleased(session, now):
        silence.released_at = now
        by_channel: dict[str, list[OutboxRow]] = {}
        for row in silences_repo.silenced_rows(session, silence.id):
            by_channel.setdefault(row.channel, []).append(row)
            if row.kind == "new" and row.incident_id:
                unannounce(session, row.incident_id)  # it never had a message: its next change may earn one
        for channel, rows in by_channel.items():
            items = [current_state(session, alert) for alert in latest_per_incident(rows)]
            title = f"Silence on {describe(silence)} ended: {len(rows)} alert(s) were silenced"
            enqueue(session, digest_alert(channel, items, title), key=f"silence-ended:{silence.id}:{channel}", now=now)
            made += 1
    return made

