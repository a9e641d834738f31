"""Stored posts replayed through the real pipeline stages into a scratch store, on a simulated clock.

Reads config keys `model` (only for posts with no stored score), `alerting` and the sources' settings, like
the daemon. The clock walks the window on the posts' own times: every `TICK` the posts posted since the last
one (`--step`, 5 minutes by default; and the engagement snapshots read meanwhile) are stored, matched against the edited watchlists, scored
(the stored verdict where there is one), evaluated by the incident engine and dispatched into a recording
sink; every hour housekeeping runs as in the daemon (quiet incidents close, digests and daily summaries go
out). Topics older than the window whose threads have posts in it are stored as backfill: matched, so their
comments inherit the watchlists, but never alerted themselves.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from listener.app import Components
from listener.backtest.harness import FixedWatchlists, RecordingSink, Sent, SimClock
from listener.config import LoadedConfig
from listener.store import Store
from listener.store.backtest_repo import LiveWindow, clone, matched_post_ids, new_incidents, rescored_post_ids
from listener.store.models import Incident, VerdictRow
from sentiment.types import Verdict

TICK = timedelta(minutes=5)  # how often the daemon polls a source by default (`--step`)
HOUSEKEEPING = timedelta(hours=1)


class LazyBackend:
    """The configured model, loaded only when a post without a stored score has to be judged."""

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load, self._backend = load, None

    @property
    def loaded(self) -> bool:
        return self._backend is not None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._backend is None:
            self._backend = self._load()
        return getattr(self._backend, name)


@dataclass(frozen=True)
class Opened:
    at: datetime
    severity: str  # the tier it opened at
    incident: Incident


@dataclass
class ReplayResult:
    opened: list[Opened] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    matched_posts: int = 0  # posts of the window the edited watchlists matched (directly or through the thread)
    rescored: int = 0  # matched posts with no stored score, judged by the model now
    model_loaded: bool = False


def replay(loaded: LoadedConfig, watchlists: Any, window: LiveWindow, since: datetime, until: datetime,
           load_model: Callable[[], Any], step: timedelta = TICK) -> ReplayResult:
    """Replay the window; the scratch store lives in a temporary folder that is gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="fangsiang-backtest-") as scratch:
        store = Store(f"sqlite:///{Path(scratch) / 'backtest.db'}")
        store.create_all()
        try:
            return _Replay(loaded, watchlists, window, store, since, load_model, step).run(until)
        finally:
            store.dispose()


class _Replay:
    def __init__(self, loaded: LoadedConfig, watchlists: Any, window: LiveWindow, store: Store, since: datetime,
                 load_model: Callable[[], Any], step: timedelta) -> None:
        from listener.pipeline import Pipeline

        self.clock = SimClock(since)
        self.sink = RecordingSink(self.clock)
        self.backend = LazyBackend(load_model)
        self.parts = Components(loaded=loaded, store=store, scrapers={}, backend=self.backend,
                                watchlists=FixedWatchlists(watchlists), notifier=self.sink, clock=self.clock)
        self.pipeline = Pipeline(self.parts)
        self.window, self.since, self.step = window, since, step
        self.stored = {pid: _verdict(row) for pid, row in window.verdicts.items()}
        self.opened: list[Opened] = []
        self._last_incident = 0

    def run(self, until: datetime) -> ReplayResult:
        posts, snapshots = self.window.posts, self.window.snapshots
        self._store([clone(row, scored_at=None, evaluated_at=None, backfill=True) for row in self.window.context])
        next_post = next_snapshot = 0
        for tick in self._ticks(until):
            self.clock.now = tick
            arrived = []
            while next_post < len(posts) and posts[next_post].posted_at <= tick:
                arrived.append(clone(posts[next_post], scored_at=None, evaluated_at=None))
                next_post += 1
            while next_snapshot < len(snapshots) and snapshots[next_snapshot].read_at <= tick:
                arrived.append(clone(snapshots[next_snapshot], id=None))
                next_snapshot += 1
            if arrived:  # an hour with nothing new: only housekeeping and the dispatcher have work
                self._store(arrived)
                self._score()
                self.pipeline.evaluate()
                self._note_opened()
            if (tick - self.since) % HOUSEKEEPING == timedelta(0):
                self.pipeline.housekeeping()
                self._note_opened()
            self.pipeline.dispatch()
        return self._result()

    def _ticks(self, until: datetime) -> list[datetime]:
        """The end of each step in which a post was posted or a snapshot read, and every hour from each such
        moment until nothing it started can still change: its incident closing after the quiet hours, the
        digests, catch-ups and daily summary that follow within a day. Idle stretches are skipped."""
        def tick_after(moment: datetime) -> datetime:
            steps = -((self.since - moment) // self.step)  # ceiling: a post at 10:03 is in by the 10:05 tick
            return self.since + steps * self.step

        def hour_after(moment: datetime) -> int:
            return -((self.since - moment) // HOUSEKEEPING)

        alerting = self.parts.loaded.config.alerting
        horizon = max(timedelta(hours=alerting.close_after_quiet_hours), timedelta(days=1)) + HOUSEKEEPING
        activity = sorted({tick_after(p.posted_at) for p in self.window.posts}
                          | {tick_after(s.read_at) for s in self.window.snapshots})
        ticks, last_hour = set(activity), hour_after(self.since) - 1
        for moment in activity:
            first, stop = max(hour_after(moment), last_hour + 1), hour_after(moment + horizon)
            ticks.update(self.since + n * HOUSEKEEPING for n in range(first, stop + 1))
            last_hour = max(last_hour, stop)
        return sorted(t for t in ticks if t <= until + self.step)

    def _store(self, rows: list[Any]) -> None:
        if rows:
            with self.parts.store.session() as session:
                session.add_all(rows)

    def _score(self) -> None:
        from listener.triage.stages import score_pending

        batch = self.parts.loaded.config.model.batch_size
        while score_pending(self.parts.store, self.backend, self.parts.watchlists.current, clock=self.clock,
                            batch_size=batch, stored=self.stored):
            pass

    def _note_opened(self) -> None:
        with self.parts.store.session() as session:
            for incident in new_incidents(session, self._last_incident):
                self.opened.append(Opened(incident.opened_at, incident.severity, incident))
                self._last_incident = incident.id

    def _result(self) -> ReplayResult:
        names = [w.name for w in self.parts.watchlists.current]
        window_ids = {p.id for p in self.window.posts}
        with self.parts.store.session() as session:
            matched = matched_post_ids(session, names) & window_ids
            rescored = rescored_post_ids(session, set(self.stored))
            # the examples show each incident as it stood at the end of the window
            final = {i.id: i for i in new_incidents(session, 0)}
        opened = [Opened(o.at, o.severity, final.get(o.incident.id, o.incident)) for o in self.opened]
        return ReplayResult(opened=opened, sent=list(self.sink.sent), matched_posts=len(matched),
                            rescored=len(rescored), model_loaded=self.backend.loaded)


def _verdict(row: VerdictRow) -> Verdict:
    return Verdict(lang=row.lang, label=row.label, probs=dict(row.probs), complaint=row.complaint,
                   cues=tuple(row.cues), model=row.model)
