"""Incidents: one per (source, thread, watchlist), the unit a Slack message follows, and the decisions of
what to tell Slack when an incident opens, grows, escalates, calms down, closes or flares up again.

Reads config keys `alerting.cooldown_minutes`, `alerting.close_after_quiet_hours`, `alerting.default_channel`
and each watchlist's `priority`, `min_complaint`, `tiers` and `route` (channel, mentions, min_severity,
escalation_channel, digest_below, digest_every, quiet_hours). Alerts are only *enqueued* here (see
`listener/delivery/outbox.py`); `listener/delivery/dispatcher.py` sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Protocol, Sequence

from alerts.privacy import masked_excerpt
from listener.config.alerting import SEVERITY_ORDER, AlertingConfig, Route, Tiers
from listener.incidents.growth import Growth, thread_growth
from listener.incidents.planner import AlertPlanner, comment_key, rank
from listener.incidents.risk import RiskAssessment, assess
from listener.store import incidents_repo, outbox_repo
from listener.store.models import Incident, PostRow
from listener.incidents.thread_batch import ThreadBatch
from sentiment.types import Verdict

ACTIONS = ("acknowledge", "snooze", "not_relevant")
SNOOZE = timedelta(hours=4)
RISK_EPSILON = 0.02  # smaller changes are noise and would only spend the cooldown


class WatchlistLike(Protocol):
    name: str
    priority: float
    route: Route
    tiers: Tiers
    min_complaint: float


@dataclass(frozen=True)
class _Observation:
    assessment: RiskAssessment
    severity: str | None
    growth: Growth


class IncidentEngine:
    def __init__(self, alerting: AlertingConfig, clock: Callable[[], datetime]) -> None:
        self.alerting = alerting
        self.clock = clock
        self.planner = AlertPlanner(alerting)

    def batch(self, session: Any, threads: Iterable[tuple[str, str]]) -> ThreadBatch:
        """Lock and read the given (source, thread_id)s once, for the `observe` calls of one batch of posts."""
        return ThreadBatch(session, threads, self.clock())

    def observe(self, session: Any, post: PostRow, verdict: Verdict, watchlist: WatchlistLike,
                matched_terms: Sequence[str] = (), batch: ThreadBatch | None = None) -> Incident | None:
        """Take one new post (thread start or comment) of a watched thread into account; `batch` (from
        `self.batch`) holds what is known of its thread, which is otherwise locked and read here."""
        if batch is None or not batch.covers(post.source, post.thread_id):
            batch = self.batch(session, [(post.source, post.thread_id)])  # other workers see our decision
        now = self.clock()
        growth = batch.growth(session, post.source, post.thread_id, now)
        own = assess(verdict, watchlist.priority, growth, growth.engagement)
        counts = verdict.complaint >= watchlist.min_complaint or bool(verdict.cues)
        incident = batch.incident(post.source, post.thread_id, watchlist.name)
        if incident is None:
            severity = self._severity(own.score, watchlist)
            if severity is None or not counts:
                return None
            incident = self._open(session, post, verdict, own, severity, growth, watchlist, matched_terms, now)
            batch.add(incident)
            return incident
        if incident.not_relevant:
            return incident  # a person said so; nothing about this thread pings again
        driver = self._driver(session, incident, watchlist, growth)
        if counts and (driver is None or own.content > driver.content):
            incident.driver_post_id, driver = post.id, own
        driver = driver or own  # the driver's verdict row is gone (pruned): the newest post stands in
        incident.last_activity_at = now
        risky_comment = (counts and not post.is_thread_start and self._severity(own.score, watchlist) is not None
                         and not outbox_repo.key_exists(session, comment_key(incident.id, post.id)))
        self._apply(session, incident, watchlist, _Observation(driver, self._severity(driver.score, watchlist),
                                                                growth), now, post if risky_comment else None)
        return incident

    def refresh(self, session: Any, incident: Incident, watchlist: WatchlistLike) -> Incident:
        """Re-assess an incident after its thread was re-polled, when no new post came with it (growth only)."""
        if incident.not_relevant or incident.status != "open":
            return incident
        now = self.clock()
        growth = thread_growth(session, incident.source, incident.thread_id, now)
        driver = self._driver(session, incident, watchlist, growth)
        if driver is not None:
            self._apply(session, incident, watchlist,
                        _Observation(driver, self._severity(driver.score, watchlist), growth), now, None)
        return incident

    def refresh_thread(self, session: Any, source: str, thread_id: str, watchlists: Any) -> int:
        """`refresh` every open incident of a re-read thread; `watchlists.get(name)` finds each watchlist."""
        done = 0
        for incident in incidents_repo.open_incidents_of_thread(session, source, thread_id):
            watchlist = watchlists.get(incident.watchlist)
            if watchlist is not None:  # removed from the YAML: the incident simply stops changing
                self.refresh(session, incident, watchlist)
                done += 1
        return done

    def close_quiet(self, session: Any) -> list[Incident]:
        """Close incidents with no new post for `close_after_quiet_hours`; their message says so, silently."""
        now = self.clock()
        cutoff = now - timedelta(hours=self.alerting.close_after_quiet_hours)
        closed = list(incidents_repo.quiet_open_incidents(session, cutoff))
        for incident in closed:
            incident.status, incident.closed_at, incident.next_poll_at = "closed", now, None
            incident.revision += 1
            incident.updated_at = now
            if incident.announced_at is not None and not incident.not_relevant:
                self.planner.update(session, incident, Growth(), now, immediate=True)
        return closed

    def on_action(self, session: Any, incident_id: int, action: str, user_id: str) -> Incident | None:
        """Record a button press from Slack: acknowledge, snooze or not_relevant."""
        incident = incidents_repo.get_incident(session, incident_id)
        if incident is None or action not in ACTIONS:
            return None
        now = self.clock()
        if action == "acknowledge" and incident.acked_at is None:
            incident.acked_by, incident.acked_at = user_id, now
            incident.time_to_ack_s = (now - incident.opened_at).total_seconds()
        elif action == "snooze":
            incident.snoozed_until, incident.snoozed_by = now + SNOOZE, user_id
        elif action == "not_relevant":
            incident.not_relevant = True
            incident.next_poll_at = None  # stop spending scraper requests on it
        incident.revision += 1
        incident.updated_at = now
        if incident.announced_at is not None:
            self.planner.update(session, incident, Growth(), now, immediate=True)
        return incident

    # -- internals -------------------------------------------------------------------------------------
    def _severity(self, score: float, watchlist: WatchlistLike) -> str | None:
        severity = watchlist.tiers.severity_of(score)
        if severity is None or rank(severity) < rank(watchlist.route.min_severity):
            return None
        return severity

    def _driver(self, session: Any, incident: Incident, watchlist: WatchlistLike,
                growth: Growth) -> RiskAssessment | None:
        """The incident's text re-scored with the thread's growth now (so a cooling thread moves down)."""
        if incident.driver_post_id is None:
            return None
        row = incidents_repo.verdict_of(session, incident.driver_post_id)
        if row is None:
            return None
        verdict = Verdict(lang=row.lang, label=row.label, probs=dict(row.probs), complaint=row.complaint,
                          cues=tuple(row.cues), model=row.model)
        return assess(verdict, watchlist.priority, growth, growth.engagement)

    def _open(self, session: Any, post: PostRow, verdict: Verdict, own: RiskAssessment, severity: str,
              growth: Growth, watchlist: WatchlistLike, terms: Sequence[str], now: datetime) -> Incident:
        start = post if post.is_thread_start else incidents_repo.thread_start(session, post.source, post.thread_id)
        mask = self.alerting.mask_personal_data  # masked before the cut, so no number is left half visible
        title = (start.title if start is not None else "") or post.title or masked_excerpt(post.text, 80, mask)
        incident = Incident(
            source=post.source, thread_id=post.thread_id, watchlist=watchlist.name, status="open",
            severity=severity, risk=own.score, reason=own.reason, title=title,
            url=start.url if start is not None else post.url, excerpt=masked_excerpt(post.text, 400, mask),
            lang=verdict.lang,
            sentiment=verdict.label, revision=1, opened_at=now, updated_at=now, last_activity_at=now,
            next_poll_at=now, channel=watchlist.route.channel or self.alerting.default_channel,
            driver_post_id=post.id)
        incidents_repo.add_incident(session, incident)
        self.planner.opened(session, incident, watchlist.route, growth, now, list(terms))
        return incident

    def _apply(self, session: Any, incident: Incident, watchlist: WatchlistLike, obs: _Observation,
               now: datetime, comment: PostRow | None) -> None:
        """Store the new state and enqueue what the change deserves (see the module docstring)."""
        before = incident.severity if incident.status == "open" else None
        reopened = incident.status == "closed" and obs.severity is not None
        if incident.status == "closed" and not reopened:
            return
        severity = obs.severity or SEVERITY_ORDER[0]
        changed = abs(obs.assessment.score - incident.risk) >= RISK_EPSILON or severity != incident.severity
        if not (changed or reopened or comment is not None):
            return
        incident.risk, incident.reason, incident.severity = obs.assessment.score, obs.assessment.reason, severity
        incident.revision += 1
        incident.updated_at = now
        if reopened:
            incident.status, incident.closed_at, incident.next_poll_at = "open", None, now
        self.planner.changed(session, incident, watchlist.route, obs.growth, now, before=before,
                             reopened=reopened, comment=comment, changed=changed)
