"""Every stage of the daemon as a method: ingest a source, score, evaluate, dispatch, track threads, housekeeping.

`run_once()` runs each stage one time in order (for `fangsiang once`, cron and tests); the scheduler
calls the same methods on their own schedules. Each stage reads from and writes to the database, so
any of them can be interrupted and resumed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from listener import metrics, shutdown
from listener.app import Components
from listener.ingest.sources import IngestResult, ingest_source, store_thread_posts
from listener.shutdown import ShuttingDown
from listener.store import sources_repo
from listener.triage.stages import evaluate_pending, score_pending

log = logging.getLogger(__name__)
BUTTON_ACTIONS = {"ack": "acknowledge"}  # Slack button value -> incident action


@dataclass
class OnceReport:
    ingested: list[IngestResult] = field(default_factory=list)
    tracked: int = 0
    scored: int = 0
    evaluated: int = 0
    dispatched: Any = None


def _in_effect(incident: Any, action: str, now: Any) -> bool:
    """Whether `action` already holds for the incident (then a click on it changes nothing)."""
    if action == "acknowledge":
        return incident.acked_at is not None
    if action == "snooze":
        return incident.snoozed_until is not None and incident.snoozed_until > now
    return action == "not_relevant" and bool(incident.not_relevant)


class Pipeline:
    def __init__(self, parts: Components) -> None:
        from listener.delivery.dispatcher import Dispatcher
        from listener.incidents.engine import IncidentEngine
        from listener.ingest.tracker import ThreadTracker

        self.parts = parts
        config = parts.loaded.config
        self.engine = IncidentEngine(config.alerting, parts.clock)
        self.dispatcher = Dispatcher(parts.notifier, config.alerting, parts.clock)
        budgets = {s.name: s.reread_per_hour for s in config.sources if s.reread_per_hour is not None}
        self.tracker = ThreadTracker(parts.clock, config.tracking, budgets)
        self._refused_watchlists = False  # a refused edit was posted to ops; say so when a good one goes live

    # -- stages -------------------------------------------------------------------------------
    def ingest(self, name: str) -> IngestResult:
        parts = self.parts
        return ingest_source(parts.store, parts.sources[name], parts.scrapers[name],
                             health_config=parts.loaded.config.health, clock=parts.clock,
                             on_health=self._report_health)

    def score(self) -> int:
        """Score until nothing is left (bounded batches, each its own transaction)."""
        self._reload_watchlists()  # a few stat() calls: edits go live within one scoring cycle
        total = 0
        batch = self.parts.loaded.config.model.batch_size
        while not shutdown.STOPPING.is_set() and (
                done := score_pending(self.parts.store, self.parts.backend, self._watchlists(),
                                      clock=self.parts.clock, batch_size=batch)):
            total += done
        return total

    def evaluate(self) -> int:
        total = 0
        while not shutdown.STOPPING.is_set() and (
                done := evaluate_pending(self.parts.store, self.engine, self._watchlists(), clock=self.parts.clock)):
            total += done
        return total

    def dispatch(self) -> Any:
        stats = self.dispatcher.run_once(self.parts.store.session)
        metrics.ALERTS_SENT.inc(stats.sent)
        metrics.ALERTS_FAILED.inc(stats.failed + stats.dead)
        for reason, outcome in stats.failures:
            metrics.DELIVERY_FAILURES.labels(reason=reason, outcome=outcome).inc()
        metrics.OUTBOX_WAITING.set(stats.waiting + stats.held)
        return stats

    def track(self) -> int:
        """Re-read the threads that are due, as far as each source's re-read budget allows: open incidents'
        threads one claimed thread at a time, so daemons sharing the database split them instead of each
        reading all, then closed incidents' threads (rarely, so new activity can reopen them)."""
        new, out_of_budget = 0, set()

        def read(source: str, thread_id: str) -> None:
            nonlocal new
            scraper = self.parts.scrapers.get(source)
            if scraper is None or source in out_of_budget:
                return
            got = self._track_thread(scraper, source, thread_id)
            if got is None:
                out_of_budget.add(source)  # a claimed thread waits out its claim; the rest stay due
            else:
                new += got

        while not shutdown.STOPPING.is_set():
            with self.parts.store.session() as session:
                claimed = self.tracker.claim_next(session, skip=out_of_budget)
            if claimed is None:
                break
            read(*claimed)
        with self.parts.store.session() as session:
            closed = self.tracker.closed_due(session)
        for source, thread_id in closed:
            if shutdown.STOPPING.is_set():
                break
            read(source, thread_id)
        return new

    def _track_thread(self, scraper: Any, source: str, thread_id: str) -> int | None:
        """Re-read one thread from where its last read stopped; store new posts, its cursor and its growth.
        Returns the number of new posts, or None when the source's re-read budget is spent for now."""
        with self.parts.store.session() as session:
            if not self.tracker.may_read(session, source):
                return None
            cursor = sources_repo.thread_cursor(session, source, thread_id)
        new, result = 0, None
        try:
            result = scraper.fetch_thread(thread_id, cursor)
        except ShuttingDown:
            raise  # the thread stays due and its cursor where it was: read again after the restart
        except Exception as exc:  # a vanished thread must not stop the others
            log.warning("tracking %s/%s failed: %s", source, thread_id, exc)
        with self.parts.store.session() as session:  # posts and the cursor they moved, together
            now = self.parts.clock()
            if result is not None:
                new = store_thread_posts(session, result.posts, now=now)
                sources_repo.save_thread_cursor(session, source, thread_id, result.cursor, now)
            self.tracker.spent(session, source, max(1, result.pages_read if result is not None else 1))
        with self.parts.store.session() as session:  # growth alone can raise an incident's tier
            self.engine.refresh_thread(session, source, thread_id, self._watchlists())
            self.tracker.reschedule_thread(session, source, thread_id)  # a failed read waits its turn too
        return new

    def housekeeping(self) -> None:
        with self.parts.store.session() as session:
            self.engine.close_quiet(session, self._watchlists())
            sources_repo.forget_thread_cursors(session, self.tracker.forget_before(self.parts.clock()))
        self.dispatcher.flush_digests(self.parts.store.session)
        self._daily_summaries()
        self._expire_texts()

    def _expire_texts(self) -> None:
        """`storage.keep_text_days`: mask (or drop) the stored text of posts older than that, in batches."""
        from datetime import timedelta

        from alerts.privacy import mask_personal_data

        from listener.store.posts_repo import expire_texts

        storage = self.parts.loaded.config.storage
        if storage.keep_text_days is None:
            return
        now = self.parts.clock()
        cutoff = now - timedelta(days=storage.keep_text_days)

        def rewrite(value: str, part: str) -> str:
            return "" if storage.expired_text == "drop" and part == "text" else mask_personal_data(value)

        while True:
            with self.parts.store.session() as session:
                if not expire_texts(session, cutoff, now, rewrite):
                    return

    def _daily_summaries(self) -> None:
        """After `alerting.daily_summary_at` (local time), yesterday's summary per watchlist (once a day)."""
        from zoneinfo import ZoneInfo

        from listener.delivery.digests import enqueue_daily_summaries

        alerting = self.parts.loaded.config.alerting
        now = self.parts.clock()
        if alerting.daily_summary_at is None or now.astimezone(ZoneInfo(alerting.timezone)).time() < alerting.daily_summary_at:
            return
        watchlists = self._watchlists()

        def channel_of(watchlist: Any) -> str:
            return watchlist.route.channel or alerting.default_channel

        with self.parts.store.session() as session:
            enqueue_daily_summaries(session, watchlists, now, channel_of=channel_of, timezone=alerting.timezone)

    def run_once(self) -> OnceReport:
        report = OnceReport()
        report.tracked = self.track()  # threads of open incidents that are due for a re-read
        for name in self.parts.sources:
            report.ingested.append(self.ingest(name))
        report.scored = self.score()
        report.evaluated = self.evaluate()
        report.dispatched = self.dispatch()
        return report

    def on_button(self, click: Any) -> str:
        """A Slack button click (Acknowledge / Snooze / Not relevant), recorded on the incident; or a choice in
        its "Silence…" menu (`silence:thread:24`: the incident's thread, or its watchlist, for so many hours).

        "refused" unless the click came from the incident's own message (channel and ts), so a forged or
        stale button cannot act on another incident; "already" when the incident is in that state (a
        repeated or redelivered click changes nothing); else "done".
        """
        from listener.store.incidents_repo import get_incident

        action = BUTTON_ACTIONS.get(click.action, click.action)
        with self.parts.store.session() as session:
            incident = get_incident(session, click.incident_id)
            if incident is None or (incident.channel, incident.message_ts) != (click.channel, click.message_ts):
                return "refused"
            if action.startswith("silence:"):
                from listener.delivery.silences import silence_incident

                _, scope, hours = action.split(":")
                silence_incident(session, click.incident_id, scope, hours=float(hours), by=click.user_id,
                                 now=self.parts.clock())
                return "done"
            if _in_effect(incident, action, self.parts.clock()):
                return "already"
            self.engine.on_action(session, click.incident_id, action, click.user_id)
        return "done"

    # -- helpers ------------------------------------------------------------------------------
    def _reload_watchlists(self) -> None:
        """Reload edited watchlists; a refused edit (and its fix) is posted to the ops channel once."""
        reloader = self.parts.watchlists
        before = reloader.last_error
        went_live = reloader.reload_if_changed()
        if reloader.last_error is not None and reloader.last_error is not before:
            self._refused_watchlists = True
            self.notify_ops(f"watchlists:refused:{reloader.digest}",
                            "Watchlist edit refused: the last good version stays live", str(reloader.last_error))
        elif went_live and self._refused_watchlists:
            self._refused_watchlists = False
            self.notify_ops(f"watchlists:accepted:{reloader.digest}", "Watchlists are live again",
                            f"the edited watchlists were accepted: {len(reloader.current)} watchlists",
                            recovered=True)

    def notify_ops(self, key: str, title: str, detail: str, recovered: bool = False) -> None:
        """A notice for `alerting.ops_channel`, sent once per `key` through the outbox like every alert."""
        from alerts.types import Alert

        from listener.delivery.outbox import enqueue

        now = self.parts.clock()
        alert = Alert(incident_id=0, revision=0, kind="health", title=title, url="", excerpt=detail, lang="en",
                      risk=0.0, reason=detail, watchlist="",
                      severity="recovered" if recovered else "high", channel=self.parts.loaded.config.alerting.ops_channel, source="fangsiang",
                      posted_at=now.isoformat())
        with self.parts.store.session() as session:
            enqueue(session, alert, key=key, now=now)

    def _watchlists(self) -> Any:
        return self.parts.watchlists.current

    def _report_health(self, session: Any, event: Any) -> None:
        from listener.delivery.outbox import enqueue_health

        enqueue_health(session, event, channel=self.parts.loaded.config.alerting.ops_channel, now=event.at,
                       kind_label=self.parts.sources[event.source].kind)
