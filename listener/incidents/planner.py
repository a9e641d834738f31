"""What an incident change deserves in Slack, written to the outbox: the first message (or a digest line),
in-place edits under the cooldown, thread replies for new risky comments (capped, the rest summarised),
escalations with mentions — one per real rise, as the engine decides (see `tiers.py`).

Reads config keys `alerting.cooldown_minutes` and each route's `mentions`, `escalation_channel`,
`digest_below`, `digest_every`, `quiet_hours`, `comment_replies` and `comment_summary_minutes`. An incident that
opens (or is first announced) at critical, or rises to it, is also posted to `escalation_channel`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from alerts.privacy import masked_excerpt
from alerts.types import Alert
from listener.config.alerting import SEVERITY_ORDER, AlertingConfig, Route
from listener.config.schema import parse_duration
from listener.incidents.growth import Growth
from listener.delivery.outbox import alert_key, enqueue, replace_payload
from listener.incidents.comments import RiskyComment, Summary, due_summary, tell_or_hold
from listener.incidents.growth import Growth
from listener.incidents.tiers import highest, rank
from listener.store import outbox_repo
from listener.store.models import Incident

__all__ = ["AlertPlanner", "RiskyComment", "comment_key", "incident_alert", "rank", "route_opts"]


def route_opts(route: Route) -> dict[str, Any]:
    quiet = route.quiet_hours
    opts = {"digest_every": route.digest_every, "channels": list(route.channels),
            "quiet_hours": None if quiet is None else {"start": quiet.start.isoformat(), "end": quiet.end.isoformat(),
                                                       "tz": quiet.tz}}
    if route.group_by:  # see listener/delivery/grouping.py
        opts.update(group_by=list(route.group_by), group_wait_s=parse_duration(route.group_wait).total_seconds())
    return opts


def incident_alert(incident: Incident, kind: str, growth: Growth, **extra: Any) -> Alert:
    reason = incident.reason
    if incident.status == "closed":
        reason = f"closed: quiet since {incident.last_activity_at:%Y-%m-%d %H:%M} UTC · {reason}"
    elif incident.acked_by:
        reason = f"acknowledged by <@{incident.acked_by}> · {reason}"
    alert = Alert(incident_id=incident.id, revision=incident.revision, kind=kind, title=incident.title,
                  url=incident.url, excerpt=incident.excerpt, lang=incident.lang, risk=incident.risk,
                  reason=reason, watchlist=incident.watchlist, severity=incident.severity,
                  sentiment=incident.sentiment, engagement=dict(growth.engagement), growth=growth.as_dict(),
                  channel=incident.channel or "", source=incident.source,
                  posted_at=incident.opened_at.isoformat(), forecast=(incident.forecast or {}).get("line", ""))
    return replace(alert, **extra) if extra else alert


class AlertPlanner:
    def __init__(self, alerting: AlertingConfig) -> None:
        self.alerting = alerting

    def opened(self, session: Any, incident: Incident, route: Route, growth: Growth, now: datetime,
               terms: list[str]) -> None:
        if self._worth_a_message(incident, route):
            self._announce(session, incident, route, growth, now, fresh=True)
        else:
            self._digest_line(session, incident, route, growth, now)

    def changed(self, session: Any, incident: Incident, route: Route, growth: Growth, now: datetime, *,
                before: str | None, reopened: bool, comment: RiskyComment | None, changed: bool = True,
                rise: bool = False) -> None:
        """Tell Slack about a change; `rise` (decided by the engine) is an up-move worth pinging for, while
        an up-move that is not (back to a tier announced a moment ago) only edits the card at once."""
        muted = incident.snoozed_until is not None and now < incident.snoozed_until
        if incident.announced_at is None:  # so far only a digest line
            if self._worth_a_message(incident, route) and not muted:
                self._announce(session, incident, route, growth, now)
            else:
                self._digest_line(session, incident, route, growth, now)
            return
        up = before is not None and rank(incident.severity) > rank(before)
        if changed or up or reopened:  # a reply alone does not change what the message says
            self.update(session, incident, growth, now, immediate=up or reopened, route=route)
        if muted:
            return  # snoozed: the message stays current, nobody is pinged
        if reopened:  # one reply says so, with the comment that reopened it when there is one
            fields = _comment_fields(comment.post, self.alerting.mask_personal_data) if comment else {}
            reason = f"reopened: {comment.reason if comment else incident.reason}"
            key = comment_key(incident.id, comment.post.id) if comment else alert_key(incident.id, incident.revision,
                                                                                        "reply")
            enqueue(session, incident_alert(incident, "reply", growth, reason=reason, **fields), key=key, now=now,
                    route_opts=route_opts(route))
        elif comment is not None and tell_or_hold(incident, route, comment, now):
            self._comment_reply(session, incident, route, growth, now, comment)
        self.summarise(session, incident, route, growth, now)
        if rise and not reopened:
            self._escalate(session, incident, route, growth, now, before or "")

    def summarise(self, session: Any, incident: Incident, route: Route, growth: Growth, now: datetime, *,
                  closing: bool = False) -> None:
        """Post the summary of the risky comments held past the cap, when one is due."""
        summary = due_summary(incident, route, now, closing=closing)
        if summary is not None:
            reply = incident_alert(incident, "reply", growth, **_summary_fields(summary))
            enqueue(session, reply, key=f"incident:{incident.id}:comments:summary{summary.number}", now=now,
                    route_opts=route_opts(route))

    def update(self, session: Any, incident: Incident, growth: Growth, now: datetime, *, immediate: bool,
               route: Route | None = None) -> None:
        """Edit the message in place; an untried edit is replaced rather than joined by a second one, and
        edits that are not escalations wait out `cooldown_minutes` after the previous edit."""
        alert = incident_alert(incident, "update", growth)
        key = alert_key(incident.id, incident.revision, "update")
        pending = outbox_repo.coalescible_update(session, incident.id)
        if pending is not None and replace_payload(session, pending, alert, key):
            if immediate:
                pending.next_attempt_at = now
            return
        due = now
        last = outbox_repo.last_of_kind(session, incident.id, "update")
        if not immediate and last is not None:
            due = max(now, (last.sent_at or last.next_attempt_at) + timedelta(minutes=self.alerting.cooldown_minutes))
        enqueue(session, alert, key=key, now=now, due=due, route_opts=route_opts(route) if route else None)

    # -- internals -------------------------------------------------------------------------------------
    def _worth_a_message(self, incident: Incident, route: Route) -> bool:
        return route.digest_below is None or rank(incident.severity) >= rank(route.digest_below)

    def _announce(self, session: Any, incident: Incident, route: Route, growth: Growth, now: datetime,
                  fresh: bool = False) -> None:
        # severity decides mentions: a thread that opens at high or above pings the route at once
        mentions = route.mentions if rank(incident.severity) >= rank("high") else ()
        alert = incident_alert(incident, "new", growth, mentions=tuple(mentions))
        if enqueue(session, alert, key=alert_key(incident.id, incident.revision, "new"), now=now,
                   route_opts=route_opts(route)) is None:
            return
        incident.announced_at = now
        self._announced(incident, now)
        if incident.severity == "critical":
            self._to_escalation_channel(session, incident, route, growth, now, alert)
        if fresh:
            return  # opened just now: it has no digest line to retire, so spare the query
        for line in outbox_repo.rows_with_status(session, "digest", incident_id=incident.id):
            line.status = "superseded"  # it has its own message now

    def _digest_line(self, session: Any, incident: Incident, route: Route, growth: Growth, now: datetime) -> None:
        alert = incident_alert(incident, "new", growth)
        key = alert_key(incident.id, incident.revision, "digest")
        waiting = outbox_repo.rows_with_status(session, "digest", incident_id=incident.id)
        # one line per incident, showing its latest state (a new line if the last was just digested)
        if not (waiting and replace_payload(session, waiting[-1], alert, key)):
            enqueue(session, alert, key=key, now=now, status="digest", route_opts=route_opts(route))

    def _comment_reply(self, session: Any, incident: Incident, route: Route, growth: Growth, now: datetime,
                       comment: RiskyComment) -> None:
        # the comment's own risk and why, not its incident's: it may be milder than what drives the card
        reply = incident_alert(incident, "reply", growth, risk=comment.risk, reason=comment.reason,
                               **_comment_fields(comment.post, self.alerting.mask_personal_data))
        enqueue(session, reply, key=comment_key(incident.id, comment.post.id), now=now, route_opts=route_opts(route))

    def _escalate(self, session: Any, incident: Incident, route: Route, growth: Growth, now: datetime,
                  before: str) -> None:
        # once someone acknowledged, escalations still show in the thread but stop pinging people
        mentions = () if incident.acked_by else tuple(route.mentions)
        reply = incident_alert(incident, "escalation", growth, mentions=mentions, previous_severity=before)
        enqueue(session, reply, key=alert_key(incident.id, incident.revision, "escalation"), now=now,
                route_opts=route_opts(route))
        self._announced(incident, now)
        if incident.severity == "critical":
            self._to_escalation_channel(session, incident, route, growth, now, reply)

    def _to_escalation_channel(self, session: Any, incident: Incident, route: Route, growth: Growth,
                               now: datetime, alert: Alert) -> None:
        """A top-level post in the route's escalation channel (an "escalation", so it never becomes the
        incident's own message)."""
        if not route.escalation_channel:
            return
        post = replace(alert, kind="escalation", channel=route.escalation_channel, mentions=tuple(route.mentions))
        enqueue(session, post, key=alert_key(incident.id, incident.revision, "escalation", route.escalation_channel),
                now=now, route_opts={**route_opts(route), "top_level": True})

    def _announced(self, incident: Incident, now: datetime) -> None:
        incident.announced_severity = highest(incident.announced_severity, incident.severity)
        incident.announced_tier_at = now


def comment_key(incident_id: int, post_id: int) -> str:
    """A comment is told in the thread at most once, whatever revision the incident is at by then."""
    return f"incident:{incident_id}:post{post_id}:comment"


def _comment_fields(comment: Any, mask: bool) -> dict[str, Any]:
    """The comment's excerpt (masked before the cut), link and time for a thread reply."""
    return {"excerpt": masked_excerpt(comment.text, 400, mask), "url": comment.url or "",
            "posted_at": comment.posted_at.isoformat()}


def _summary_fields(summary: Summary) -> dict[str, Any]:
    top = summary.top[0] if summary.top else {}
    return {"excerpt": summary.excerpt(), "url": top.get("url", ""), "risk": float(top.get("risk", 0.0)),
            "reason": f"{summary.count} more risky comments since the last one told; the top {len(summary.top)} by risk"}
