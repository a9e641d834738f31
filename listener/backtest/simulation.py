"""One replayed thread through the real pipeline on a simulated clock, from its root to the horizon.

The stages run when the daemon's schedule would run them and only when they have something to do, and the
clock jumps from one such moment to the next (never sleeps):
- the source's listing poll every `schedule.every` (its phase fixed per thread by an md5 of the curve's id, as
  in listener/incidents/forecast_replay.py): one poll before the root (so the source has a cursor and the
  topic is not a first run's backfill), then polls until one finds the topic; later polls would find nothing
  new in this thread and only touch the source's health, so they are not run;
- the thread tracker on the `scheduler.track_every` grid, when an incident's booked re-read time has come;
- scoring and evaluation on the `scheduler.score_every` grid after anything new was stored;
- dispatch on the `scheduler.dispatch_every` grid after an evaluation and when a held message falls due;
- housekeeping (closing quiet incidents, digests, daily summaries) every `scheduler.housekeeping_every`.
After each stage the incidents' tiers are read, so the first moment the thread stood at `high` is known.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from listener.backtest.curves import ReplayThread
from listener.backtest.harness import RecordingSink, SimClock
from listener.backtest.replay_scraper import Read, ReplayScraper
from listener.config.schema import parse_duration
from listener.incidents.tiers import rank
from listener.store import replay_repo

HORIZON = timedelta(hours=72)
FLAG_TIER = "high"
NOT_MESSAGES = ("summary", "health")  # sent per watchlist or source, not about the thread
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)


@dataclass
class ThreadRun:
    """What happened to one replayed thread."""

    thread: ReplayThread
    first_read_s: float  # the listing poll that found the topic, seconds after the root
    flagged_s: float | None = None  # first moment at `high` or above, seconds after the root
    messages: list[tuple[float, str]] = field(default_factory=list)  # (seconds after the root, alert kind)
    reads: list[Read] = field(default_factory=list)
    incidents: bool = False
    highest: str | None = None


def listing_phase_s(thread_name: str, every_s: float) -> float:
    """When a listing poll first finds the thread: a fixed phase in (0, every] per thread."""
    phase = int(hashlib.md5(("listing:" + thread_name).encode("utf-8")).hexdigest(), 16) % 10_000
    return every_s * (phase + 1) / 10_000


class ThreadReplay:
    def __init__(self, pipeline: Any, clock: SimClock, sink: RecordingSink, scraper: ReplayScraper,
                 source: Any, horizon: timedelta = HORIZON) -> None:
        self.pipeline, self.clock, self.sink, self.scraper, self.source = pipeline, clock, sink, scraper, source
        scheduler = pipeline.parts.loaded.config.scheduler
        self.grid = {name: parse_duration(getattr(scheduler, name)) for name in
                     ("score_every", "dispatch_every", "track_every", "housekeeping_every")}
        self.horizon = horizon
        self.run_: ThreadRun | None = None

    def run(self) -> ThreadRun:
        thread, every = self.scraper.thread, self.source.schedule.interval()
        found = thread.root_at + timedelta(seconds=listing_phase_s(thread.name, every.total_seconds()))
        self.run_ = ThreadRun(thread, (found - thread.root_at).total_seconds())
        self.end = thread.root_at + self.horizon
        self.clock.now = found - every
        self.pipeline.ingest(self.source.name)  # the poll before the root: the source is not on its first run
        self._at(found)
        self.pipeline.ingest(self.source.name)
        self._score_and_dispatch()
        next_housekeeping = self._after(self.clock(), "housekeeping_every")
        while True:
            due = self._next_track()
            wake = self._next_dispatch()
            moment = min(t for t in (due, wake, next_housekeeping) if t is not None)
            if moment > self.end:
                break
            self._at(moment)
            if moment == next_housekeeping:
                self.pipeline.housekeeping()
                self._observe()
                next_housekeeping = self._after(moment, "housekeeping_every")
            if due is not None and moment >= due:
                self.pipeline.track()
                self._observe()
                self._score_and_dispatch()
            elif wake is not None and moment >= wake:
                self.pipeline.dispatch()
        return self._finish()

    # -- stages -------------------------------------------------------------------------------------
    def _score_and_dispatch(self) -> None:
        self._at(self._after(self.clock(), "score_every"))
        scored = self.pipeline.score()
        self.pipeline.evaluate()
        self._observe()
        if scored:
            self._at(self._after(self.clock(), "dispatch_every"))
        self.pipeline.dispatch()

    def _observe(self) -> None:
        run = self.run_
        assert run is not None
        with self.pipeline.parts.store.session() as session:
            tiers = replay_repo.severities(session)
        if not tiers:
            return
        run.incidents = True
        top = max(tiers, key=rank)
        if rank(top) > rank(run.highest):
            run.highest = top
        if run.flagged_s is None and rank(top) >= rank(FLAG_TIER) and self.clock() <= self.end:
            run.flagged_s = self._offset(self.clock())

    # -- when the next stage has work ----------------------------------------------------------------
    def _next_track(self) -> datetime | None:
        with self.pipeline.parts.store.session() as session:
            booked = replay_repo.next_poll_at(session)
        if booked is None:
            return None
        return self._on_grid(max(booked, self.clock() + MICROSECOND), "track_every")

    def _next_dispatch(self) -> datetime | None:
        with self.pipeline.parts.store.session() as session:
            waits = replay_repo.outbox_waits(session)
        if not waits:
            return None
        # A row already due still waits for something (its digest, the channel budget): look again each minute.
        soonest = min(waits)
        soonest = soonest if soonest > self.clock() else self.clock() + self.grid["track_every"]
        return self._on_grid(soonest, "dispatch_every")

    def _after(self, moment: datetime, grid: str) -> datetime:
        """The first tick of the grid strictly after `moment`."""
        return self._on_grid(moment + MICROSECOND, grid)

    def _on_grid(self, moment: datetime, grid: str) -> datetime:
        """The first tick of the grid at or after `moment` (ticks counted from a fixed epoch)."""
        step = self.grid[grid] // MICROSECOND
        ticks = -(-((moment - EPOCH) // MICROSECOND) // step)
        return EPOCH + ticks * step * MICROSECOND

    def _at(self, moment: datetime) -> None:
        self.clock.now = max(self.clock.now, moment)

    def _offset(self, moment: datetime) -> float:
        return (moment - self.scraper.thread.root_at).total_seconds()

    def _finish(self) -> ThreadRun:
        run = self.run_
        assert run is not None
        run.messages = [(self._offset(sent.at), sent.alert.kind) for sent in self.sink.sent
                        if sent.alert.kind not in NOT_MESSAGES and sent.at <= self.end]
        run.reads = [read for read in self.scraper.reads if read.at <= self.end]
        return run
