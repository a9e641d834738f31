"""The dispatcher: sends due outbox rows in order, one short transaction per row, and marks a row sent
only when the notifier says ok.

Reads config keys `alerting.max_attempts`, `alerting.channel_budget_per_hour`, `alerting.ops_channel`,
`alerting.timezone`, and each row's route options (`quiet_hours`). Rules:
- per incident, rows go out in the order they were decided; a reply or edit waits for the first message's ts;
- `retry_after` pauses all sending that long (Slack rate limits are per workspace); other failures pause all
  sending too, backing off exponentially while they repeat, so after an outage the backlog drains oldest first;
  permanent errors and rows past `max_attempts` become `dead` and ops hears once;
- SIGTERM stops a pass between two rows: the call in flight finishes and is recorded, the rest waits;
- a "new" message over the channel's hourly budget goes into the next digest instead (critical never does);
- during a route's quiet hours only critical alerts notify; others are held for one catch-up digest.
  Edits in place are not held: Slack does not notify anyone about an edit;
- a row an active silence covers is suppressed on its first try (see `listener/delivery/silences.py`);
- new incidents of a grouping route go out as one message per group (see `listener/delivery/grouping.py`);
- a row is committed as "sending" before Slack is called. One still "sending" on a later pass was cut short
  (the process died mid-call): once the notifier's `settle_s` has passed since that call (Slack may still be
  storing it), the notifier's `find_sent` looks for its key in the channel first, and the row
  is marked sent with the message found, or sent now when there is none. If the lookup itself fails the row
  stays "sending" and backs off like a failed send, so it is neither lost nor posted twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable, ContextManager, Protocol

from alerts.types import Alert, Delivery
from listener import shutdown
from listener.config.alerting import AlertingConfig
from listener.delivery import grouping
from listener.delivery.digests import flush_digests, in_quiet_hours, release_held, summary_chart_png
from listener.delivery.failures import log_failure, reason_label
from listener.delivery.fanout import fan_out
from listener.delivery.outbox import alert_from_payload, enqueue
from listener.delivery.silences import release_ended, silence_row, silence_waiting
from listener.store import incidents_repo, outbox_repo, silences_repo
from listener.store.models import Incident, OutboxRow, Silence

NOTIFYING_KINDS = frozenset({"new", "reply", "escalation", "digest", "summary", "group"})
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=10)
BATCH = 200

SessionFactory = Callable[[], ContextManager[Any]]
log = logging.getLogger(__name__)


class Notifier(Protocol):
    def deliver(self, alert: Alert) -> Delivery: ...

    # Optional: a notifier without it cannot look messages up, so a send cut short is simply sent again.
    def find_sent(self, alert: Alert, since: datetime) -> Delivery | None: ...


@dataclass
class DispatchStats:
    sent: int = 0
    failed: int = 0  # will be retried
    dead: int = 0
    held: int = 0  # quiet hours
    to_digest: int = 0  # over the channel budget
    digests: int = 0  # digests and catch-ups built this run
    waiting: int = 0  # behind an earlier row of the same incident
    failures: list[tuple[str, str]] = field(default_factory=list)  # (reason label, "retry" | "dead") per failure
    silenced: int = 0  # suppressed by a silence
    grouped: int = 0  # new incidents sent inside one message for their group


class Dispatcher:
    def __init__(self, notifier: Notifier, alerting: AlertingConfig, clock: Callable[[], datetime]) -> None:
        self.notifier = notifier
        self.alerting = alerting
        self.clock = clock
        self._paused_until: datetime | None = None
        self._failures = 0  # consecutive transient failures: Slack (or the way to it) is down
        # How long Slack may still be acting on a call after it was made (the notifier's request timeout): a
        # send cut short by a crash is looked up only after this, or the lookup could miss a message in flight.
        self._settle = timedelta(seconds=float(getattr(notifier, "settle_s", 0) or 0))
        self._silences: list[Silence] = []  # the active silences, read once per run

    def flush_digests(self, session_factory: SessionFactory) -> int:
        """Build the digests and catch-ups that are due (also done at the start of every `run_once`)."""
        now = self.clock()
        with session_factory() as session:
            silence_waiting(session, now)  # a silenced line leaves its digest before the digest is built
            made = release_held(session, now) + flush_digests(session, now, self.alerting.timezone)
            return made + release_ended(session, now)

    def settle_wait_s(self, session_factory: SessionFactory) -> float:
        """Seconds until every send cut short by an earlier process may be looked up (0 when none waits).

        `fangsiang once` waits this long before its pass, so a restarted one-shot run settles the interrupted
        message first and sends everything in the order an uninterrupted run would; the daemon does not wait
        (other incidents go ahead while that one settles)."""
        now = self.clock()
        with session_factory() as session:
            waits = [(row.next_attempt_at - now).total_seconds()
                     for row in outbox_repo.rows_with_status(session, "sending")]
        return max([0.0, *(min(wait, self._settle.total_seconds()) for wait in waits)])

    def run_once(self, session_factory: SessionFactory) -> DispatchStats:
        stats = DispatchStats()
        now = self.clock()
        if self._paused_until is not None and now < self._paused_until:
            return stats
        stats.digests = self.flush_digests(session_factory)
        with session_factory() as session:
            todo = [(r.id, r.incident_id, r.next_attempt_at <= now, r.attempts, r.kind)
                    for r in outbox_repo.pending_rows(session, BATCH)]
            self._silences = list(silences_repo.active_silences(session, now))
        blocked: set[int] = set()
        for row_id, incident_id, due, attempts, kind in todo:
            if shutdown.STOPPING.is_set():
                break  # SIGTERM: the call in flight has finished and is recorded; the rest waits for the next run
            if incident_id is not None and incident_id in blocked:
                stats.waiting += 1
                continue
            if not due:
                if incident_id is not None and (attempts > 0 or kind == "new"):
                    blocked.add(incident_id)  # a failing earlier row keeps its incident's later rows in line
                continue
            with session_factory() as session:
                outcome = self._process(session, row_id, now, stats)
            if outcome == "stop":
                break
            if outcome == "blocked" and incident_id is not None:
                blocked.add(incident_id)
        return stats

    # -- one row ---------------------------------------------------------------------------------------
    def _process(self, session: Any, row_id: int, now: datetime, stats: DispatchStats) -> str:
        row = outbox_repo.claim(session, row_id)
        if row is None:
            # Another worker has it, or it was handled meanwhile: the incident's later rows wait for the next
            # pass, so two workers never send one incident's messages out of order (or edit before the post).
            return "blocked"
        fan_out(session, row, self.alerting.channels, now)  # other channels get their own rows (idempotent)
        alert = alert_from_payload(row.payload)
        critical = alert.severity == "critical"
        # A "sending" row passed the quiet-hours and budget checks on its first try and may already be in
        # Slack: holding it or folding it into a digest now could show it twice.
        first_try = row.status == "pending"
        if first_try and silence_row(session, row, self._silences, now) is not None:
            stats.silenced += 1
            return "skip"  # not "blocked": the incident's later rows are checked (and silenced) on their own
        if first_try and row.kind in NOTIFYING_KINDS and not critical and in_quiet_hours(row.route_opts, now):
            row.status = "held"
            stats.held += 1
            return "held"
        incident = incidents_repo.get_incident(session, row.incident_id) if row.incident_id else None
        override = None  # an alert not built from this row: a grouped incident's edit rewrites its group
        if incident is not None and _needs_parent(row, incident):
            if incident.message_ts is None:
                return self._no_parent(session, row, incident, critical, now)
            override = grouping.group_edit(session, incident) if row.kind == "update" else None
        if first_try and row.kind == "new" and not critical and self._over_budget(session, row.channel, now):
            row.status = "digest"  # the next digest carries it; the channel stays readable
            if incident is not None:
                incident.announced_at = None
            stats.to_digest += 1
            return "skip"
        together = [r for r in grouping.members(session, row)  # a silenced member stays out of the group
                    if r.id == row.id or silence_row(session, r, self._silences, now) is None]
        if len(together) > 1:  # one message for the whole group instead of a card each
            row = grouping.enqueue_group(session, together, now)
            incident, override = None, None
            stats.grouped += len(together)
        return self._send(session, row, incident, now, stats, override)

    def _send(self, session: Any, row: OutboxRow, incident: Incident | None, now: datetime,
              stats: DispatchStats, override: Alert | None = None) -> str:
        """Deliver one row, after making sure an earlier try that was cut short did not already deliver it.
        `override`: the alert to send instead of the row's own (a group message's edit)."""
        if row.status == "sending":
            if row.attempted_at is not None and now < row.attempted_at + self._settle:
                return "blocked"  # Slack may still be acting on that call: looking now could miss the message
            outcome = self._reconcile(session, row, incident, _keyed(override, row) or _alert_for(row, incident),
                                      now, stats)
            if outcome is not None:
                return outcome
        if not self._mark_sending(session, row, now):
            return "blocked"
        # Built from the row as committed with the "sending" mark: an edit written into it just before (by a
        # worker that read it as untried) is the one that goes out, never silently dropped.
        delivery = self.notifier.deliver(_keyed(override, row) or _alert_for(row, incident))
        if delivery.ok:
            self._sent(session, row, incident, delivery, now)
            self._failures = 0
            stats.sent += 1
            return "sent"
        return self._failed(session, row, delivery, now, stats)

    def _reconcile(self, session: Any, row: OutboxRow, incident: Incident | None, alert: Alert, now: datetime,
                   stats: DispatchStats) -> str | None:
        """Settle a row whose last send was cut short; None when it must be sent (again) now."""
        find_sent = getattr(self.notifier, "find_sent", None)
        if find_sent is None or row.attempted_at is None:
            return None
        found = find_sent(alert, row.attempted_at)
        if found is None:
            return None  # Slack never took it
        if found.ok:
            log.info("%s alert %s was already in Slack (%s); not sending it again", row.kind, row.id, found.ts)
            self._sent(session, row, incident, found, now, chart=False)
            stats.sent += 1
            return "sent"
        if found.permanent:  # e.g. the history scopes are missing: a possible duplicate beats a lost alert
            log.warning("cannot look up %s alert %s in Slack (%s); sending it again", row.kind, row.id, found.error)
            return None
        row.attempts += 1
        return self._failed(session, row, found, now, stats)  # stays "sending": looked up again next time

    def _mark_sending(self, session: Any, row: OutboxRow, now: datetime) -> bool:
        """Commit "sending" before Slack is called, so a crash during the call is found out on restart.

        Committing releases a PostgreSQL row lock; `reclaim` takes it back, and answers False when another
        worker got the row in that moment (that worker then owns the send).
        """
        row.status, row.attempted_at = "sending", now
        row.next_attempt_at = now + self._settle  # if this process dies mid-call, look it up after the settle
        row.attempts += 1
        attempts = row.attempts
        session.commit()
        return outbox_repo.reclaim(session, row.id, attempts) is not None

    def _no_parent(self, session: Any, row: OutboxRow, incident: Incident, critical: bool, now: datetime) -> str:
        if outbox_repo.has_live_new(session, incident.id) or silences_repo.live_groups_in(session, row.channel):
            return "blocked"
        held_new = [r for r in outbox_repo.rows_with_status(session, "held", incident_id=incident.id)
                    if r.kind == "new"]
        if critical and held_new:
            # a critical follow-up may not wait for the end of quiet hours: send the first message now
            held_new[-1].status, held_new[-1].next_attempt_at = "pending", now
            return "blocked"
        row.status, row.last_error = "superseded", "the incident has no message to edit or reply to"
        return "skip"

    def _sent(self, session: Any, row: OutboxRow, incident: Incident | None, delivery: Delivery,
              now: datetime, chart: bool = True) -> None:
        row.status, row.sent_at, row.ts, row.last_error = "sent", now, delivery.ts, None
        if incident is not None and row.kind in ("new", "update") and delivery.ts:
            if row.kind == "new" or delivery.ts != incident.message_ts:  # an edit may repost a deleted message
                incident.message_ts = delivery.ts
                incident.channel = delivery.channel or row.channel
        if row.kind == "group" and delivery.ts:
            grouping.attach(session, row, delivery)
        if row.kind == "summary" and chart:  # a summary found after a crash may have its chart already
            self._attach_chart(session, row, delivery, now)

    def _failed(self, session: Any, row: OutboxRow, delivery: Delivery, now: datetime, stats: DispatchStats) -> str:
        """Back off (or give up on) a row whose attempt, already counted, failed."""
        row.last_error = delivery.error or "delivery failed"
        if delivery.permanent or row.attempts >= self.alerting.max_attempts:
            row.status = "dead"
            stats.dead += 1
            stats.failures.append((reason_label(row.last_error), "dead"))
            log_failure(row, row.last_error, dead=True)
            self._report_dead(session, row, now)
            return "dead"
        stats.failed += 1
        self._failures += 1
        stats.failures.append((reason_label(row.last_error), "retry"))
        # The pause belongs to the dispatcher, not to the row: Slack failing is Slack being down, and when it is
        # back every row must be due again at once, so the backlog drains oldest first (a per-row backoff of up
        # to 10 minutes would send the oldest alerts last).
        pause = min(BACKOFF_FIRST * 2 ** min(self._failures - 1, 16), BACKOFF_CAP)
        if delivery.retry_after is not None:
            pause = timedelta(seconds=delivery.retry_after)
        row.next_attempt_at = self._paused_until = now + pause
        log_failure(row, row.last_error, dead=False, retry_in_s=pause.total_seconds())
        return "stop"  # Slack is failing; trying the other rows now would only spend their attempts

    def _report_dead(self, session: Any, row: OutboxRow, now: datetime) -> None:
        if row.kind == "health" and row.channel == self.alerting.ops_channel:
            return  # the ops channel itself is unreachable: nothing left to tell
        text = f"{row.kind} alert for incident {row.incident_id} to {row.channel} gave up after " \
               f"{row.attempts} attempt(s): {row.last_error}"
        alert = Alert(incident_id=0, revision=0, kind="health", title="An alert could not be delivered", url="",
                      excerpt=text, lang="en", risk=0.0, reason=text, watchlist="", severity="high",
                      channel=self.alerting.ops_channel)
        # one notice per death: a row re-queued by `fangsiang outbox resend` that dies again is reported again
        died = f"{row.attempted_at:%Y%m%dT%H%M%S.%f}" if row.attempted_at else ""
        enqueue(session, alert, key=f"dead:{row.id}:{died}", now=now)

    def _over_budget(self, session: Any, channel: str, now: datetime) -> bool:
        sent = outbox_repo.top_level_sent_since(session, channel, now - timedelta(hours=1))
        return sent >= self.alerting.channel_budget_per_hour

    def _attach_chart(self, session: Any, row: OutboxRow, delivery: Delivery, now: datetime) -> None:
        upload = getattr(self.notifier, "deliver_file", None)
        watchlist = row.payload.get("watchlist", "")
        if upload is None or not watchlist:
            return
        png = summary_chart_png(session, watchlist, now, self.alerting.timezone)
        if png:  # best effort: the summary already went out and must not be sent again for a chart
            upload(delivery.channel or row.channel, png, f"{watchlist}: last 7 days", thread_ts=delivery.ts)


def _keyed(alert: Alert | None, row: OutboxRow) -> Alert | None:
    return replace(alert, key=row.idempotency_key) if alert is not None else None


def _alert_for(row: OutboxRow, incident: Incident | None) -> Alert:
    """The alert as the row holds it now, pointed at the incident's message when it edits or replies to it."""
    alert = replace(alert_from_payload(row.payload), key=row.idempotency_key)
    if incident is not None and _needs_parent(row, incident):
        return _attach(alert, row, incident)
    return alert


def _needs_parent(row: OutboxRow, incident: Incident) -> bool:
    if row.kind in ("update", "reply"):
        return True
    # an escalation goes into the incident's thread, unless it is the copy for the escalation channel
    return row.kind == "escalation" and not (row.route_opts or {}).get("top_level")


def _attach(alert: Alert, row: OutboxRow, incident: Incident) -> Alert:
    if row.kind == "update":
        return replace(alert, channel=incident.channel or alert.channel, message_ts=incident.message_ts)
    return replace(alert, channel=incident.channel or alert.channel, thread_ts=incident.message_ts)
