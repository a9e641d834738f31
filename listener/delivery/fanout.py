"""Copies of outbox rows for the other channels (`alerting.channels`, sent through apprise): each copy is an
outbox row of its own, so it is retried, held in quiet hours, budgeted and reported dead like a Slack alert,
and a Slack outage never keeps it back.

Reads config keys `alerting.channels` (`name`, `kinds`, `min_severity`, `all_watchlists`) and the route's
`channels`, stored in each row's route options. Copies are made when the dispatcher first picks a row up, under
a key derived from the row's, so picking it up again (a retry, a restart) never copies twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Sequence

from alerts.channels import PREFIX
from listener.config.alerting import SEVERITY_ORDER, ChannelConfig
from listener.delivery.outbox import alert_from_payload, enqueue
from listener.store.models import OutboxRow

GRADED_KINDS = ("new", "escalation")  # the kinds `min_severity` applies to; a digest or summary has no one tier


def fan_out(session: Any, row: OutboxRow, channels: Sequence[ChannelConfig], now: datetime) -> int:
    """Enqueue a copy of `row` for each channel that takes it; the number of copies made this time."""
    if not channels or row.channel.startswith(PREFIX) or (row.route_opts or {}).get("top_level"):
        return 0  # a copy itself, or the escalation channel's copy of an escalation already fanned out
    named = set((row.route_opts or {}).get("channels") or ())
    alert = alert_from_payload(row.payload)
    made = 0
    for channel in channels:
        if not _takes(channel, row.kind, alert.severity, named):
            continue
        copy = replace(alert, channel=PREFIX + channel.name, message_ts=None, thread_ts=None)
        opts = {**(row.route_opts or {}), "top_level": True}  # no threads there: an escalation stands alone
        added = enqueue(session, copy, key=f"{row.idempotency_key}>{channel.name}", now=now, route_opts=opts)
        if added is not None:
            added.incident_id = None  # not the incident's Slack message: never becomes its message_ts
            made += 1
    return made


def _takes(channel: ChannelConfig, kind: str, severity: str, named: set[str]) -> bool:
    if kind not in channel.kinds or not (channel.all_watchlists or channel.name in named):
        return False
    if kind in GRADED_KINDS and severity in SEVERITY_ORDER:
        return SEVERITY_ORDER.index(severity) >= SEVERITY_ORDER.index(channel.min_severity)
    return True
