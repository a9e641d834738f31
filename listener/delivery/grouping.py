"""Grouping, in the Alertmanager sense: new incidents of one route that share a brand and a cause (its
`group_by`: watchlist, term, cue) go out as ONE Slack message listing them, instead of one card each.

A new incident of such a route waits its `group_wait` in the outbox (see `enqueue`). When the first of them is
due, every untried "new" message of the same channel and group joins it: they become `grouped` and one
"group" message is sent. The incidents then share that message: their replies and escalations go into its
thread, and an edit of any of them rewrites the group message with every member as it is now. A group of
one is sent as a normal card. Critical incidents never wait and are never grouped.

Reads each outbox row's route options (`group_by`, `group_wait_s`, from the watchlist's `route:`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Sequence

from alerts.types import Alert, Delivery
from listener.delivery.digests import current_state
from listener.delivery.outbox import alert_from_payload, enqueue
from listener.store import incidents_repo, silences_repo
from listener.store.models import Incident, OutboxRow

SEVERITY_RANK = {"watch": 0, "high": 1, "critical": 2}


def groups_by(row: OutboxRow) -> tuple[str, ...]:
    """The route's `group_by` for a row that may be grouped (an untried, non-critical "new"), else ()."""
    if row.kind != "new" or row.status != "pending" or (row.payload or {}).get("severity") == "critical":
        return ()
    return tuple((row.route_opts or {}).get("group_by") or ())


def group_key(session: Any, row: OutboxRow, labels: Sequence[str]) -> tuple[str, ...]:
    """The row's value for each label: the watchlist, and the first (alphabetically) term or cue it matched."""
    incident = incidents_repo.get_incident(session, row.incident_id) if row.incident_id else None
    if incident is None:
        return tuple("" for _ in labels)
    terms, cues = silences_repo.incident_causes(session, incident.source, incident.thread_id, incident.watchlist)
    values = {"watchlist": incident.watchlist, "term": min(terms, default=""), "cue": min(cues, default="")}
    return tuple(values[label] for label in labels)


def members(session: Any, row: OutboxRow) -> list[OutboxRow]:
    """`row` and the untried new messages of its channel that share its group (oldest first)."""
    labels = groups_by(row)
    if not labels:
        return [row]
    key = group_key(session, row, labels)
    return [other for other in silences_repo.grouping_candidates(session, row.channel)
            if other.id == row.id or (groups_by(other) == labels and group_key(session, other, labels) == key)]


def enqueue_group(session: Any, rows: Sequence[OutboxRow], now: datetime) -> OutboxRow:
    """One "group" message for `rows`, which become `grouped`; the new outbox row (to send now)."""
    alerts = [alert_from_payload(r.payload) for r in rows]
    labels = groups_by(rows[0])
    key = group_key(session, rows[0], labels)
    alert = group_alert(alerts, dict(zip(labels, key)))
    group = enqueue(session, alert, key=f"group:{rows[0].channel}:{rows[0].id}", now=now)
    assert group is not None  # keyed by its first member, which is grouped only once
    for row in rows:
        row.status = "grouped"
    return group


def group_alert(items: Sequence[Alert], cause: dict[str, str], channel: str = "") -> Alert:
    worst = max(items, key=lambda a: (SEVERITY_RANK.get(a.severity, 0), a.risk))
    what = " · ".join(f"{label} {value}" for label, value in cause.items() if value and label != "watchlist")
    brand = cause.get("watchlist") or worst.watchlist
    title = f"{len(items)} threads about {brand}" + (f": {what}" if what else "")
    mentions = tuple(dict.fromkeys(m for a in items for m in a.mentions))
    return Alert(incident_id=0, revision=0, kind="group", title=title, url="", excerpt="", lang=worst.lang,
                 risk=worst.risk, reason=f"grouped by {', '.join(cause) or 'route'}", watchlist=worst.watchlist,
                 severity=worst.severity, channel=channel or worst.channel, mentions=mentions, items=tuple(items))


def attach(session: Any, row: OutboxRow, delivery: Delivery) -> None:
    """The group message went out: its members share it (their replies thread under it, edits rewrite it)."""
    for item in alert_from_payload(row.payload).items:
        incident = incidents_repo.get_incident(session, item.incident_id) if item.incident_id else None
        if incident is not None and incident.message_ts is None:
            incident.message_ts, incident.channel = delivery.ts, delivery.channel or row.channel


def group_edit(session: Any, incident: Incident) -> Alert | None:
    """For an edit of a grouped incident: the group message rewritten with every member as it is now."""
    group = silences_repo.group_row_with_ts(session, incident.message_ts) if incident.message_ts else None
    if group is None:
        return None
    alert = alert_from_payload(group.payload)
    items = tuple(_member_now(session, item) for item in alert.items)
    return replace(alert, items=items, kind="group", message_ts=incident.message_ts,
                   channel=incident.channel or alert.channel, mentions=(), revision=incident.revision)



def _member_now(session: Any, item: Alert) -> Alert:
    """A member line as its incident is now, saying who acknowledged it and whether it closed."""
    line = current_state(session, item)
    incident = incidents_repo.get_incident(session, item.incident_id) if item.incident_id else None
    if incident is not None and incident.status == "closed":
        line = replace(line, reason=f"closed · {line.reason}")
    elif incident is not None and incident.acked_by:
        line = replace(line, reason=f"acknowledged by <@{incident.acked_by}> · {line.reason}")
    return line
