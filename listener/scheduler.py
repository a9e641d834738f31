"""The daemon's schedule, timed with APScheduler (the one home of apscheduler).

Reads `sources[].schedule` (`every` or `cron`, `jitter`) and `scheduler.*`. Source polls and housekeeping are
shared jobs (listener/leases.py): their schedule lives in the database, so several daemons on one database
run each of them once per schedule in total; a one-second tick claims the due ones up to `scheduler.workers`
and runs them in this daemon's source pool. Scoring, evaluation, dispatch and thread tracking run in every
daemon, each claiming its own rows (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL), so another daemon adds
capacity. Each local job runs at most one instance at a time and missed runs coalesce. On SIGTERM/SIGINT the
scheduler stops taking new runs, the running ones finish the call in flight, and the process exits 0.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor as Pool
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from listener import shutdown
from listener.config.schema import Schedule, parse_duration
from listener.leases import Leases, SharedJob
from listener.pipeline import Pipeline

log = logging.getLogger(__name__)
TICK_S = 1.0  # how often a daemon looks for due shared jobs: the lateness of a poll, at most


def run_forever(pipeline: Pipeline, stop: threading.Event | None = None,
                on_start: Callable[[BackgroundScheduler], None] | None = None) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set); finish in-flight work; return the exit code.

    `on_start` gets the running scheduler (the readiness probe asks it whether it still runs)."""
    stop = stop or threading.Event()
    _install_signal_handlers(stop)
    config = pipeline.parts.loaded.config.scheduler
    pool = Pool(config.workers + 1, thread_name_prefix="shared")  # + 1: housekeeping is never starved
    scheduler, leases = build_scheduler(pipeline, pool)
    scheduler.start()
    if on_start is not None:
        on_start(scheduler)
    log.info("fangsiang running as %s: %d sources; Ctrl-C or SIGTERM stops it", leases.owner,
             len(pipeline.parts.sources))
    stop.wait()
    log.info("stopping: waiting for running jobs to finish")
    shutdown.STOPPING.set()  # sources waiting out a retry give up now; their cursors stay put
    scheduler.shutdown(wait=True)
    pool.shutdown(wait=True, cancel_futures=True)
    pipeline.parts.store.dispose()
    log.info("stopped")
    return 0


def build_scheduler(pipeline: Pipeline, pool: Pool) -> tuple[BackgroundScheduler, Leases]:
    config = pipeline.parts.loaded.config.scheduler
    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4)},
                                    job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": 300},
                                    timezone=config.timezone)
    leases = Leases(pipeline.parts.store, pipeline.parts.clock, ttl=parse_duration(config.lease))
    jobs = shared_jobs(pipeline)
    leases.register(jobs)
    capacity = config.workers + 1

    def tick() -> None:
        if shutdown.STOPPING.is_set():
            return
        for job in leases.claim_due(jobs, limit=capacity - leases.busy()):
            pool.submit(_guarded(job.name, lambda j=job: leases.run(j)))

    # The jitter makes each tick's moment random, so among daemons that all have free workers a different one
    # tends to be first to a due job: the polls spread over the daemons instead of piling on one.
    scheduler.add_job(_guarded("tick", tick), IntervalTrigger(seconds=TICK_S, jitter=TICK_S / 2), id="tick",
                      name="tick", next_run_time=_now(config.timezone))
    stages: list[tuple[str, str, Callable[[], object]]] = [
        ("score", config.score_every, lambda: (pipeline.score(), pipeline.evaluate())),
        ("dispatch", config.dispatch_every, pipeline.dispatch),
        ("track", config.track_every, pipeline.track),
    ]
    for job_id, every, func in stages:
        scheduler.add_job(_guarded(job_id, func), IntervalTrigger(seconds=parse_duration(every).total_seconds()),
                          id=job_id, name=job_id, next_run_time=_now(config.timezone))
    return scheduler, leases


def check_crontab(expression: str) -> None:
    """Raise ValueError (with APScheduler's reason) for a cron expression `run` could not schedule."""
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {expression!r}: {exc}") from None


def shared_jobs(pipeline: Pipeline) -> list[SharedJob]:
    """One shared job per enabled source, plus housekeeping."""
    config = pipeline.parts.loaded.config.scheduler
    jobs = [SharedJob(f"source:{name}", lambda n=name: pipeline.ingest(n), _next_run(source.schedule, config.timezone),
                      _longest_gap(source.schedule))
            for name, source in pipeline.parts.sources.items()]
    housekeeping = Schedule(every=config.housekeeping_every)
    jobs.append(SharedJob("housekeeping", pipeline.housekeeping, _next_run(housekeeping, config.timezone),
                          _longest_gap(housekeeping)))
    return jobs


def _next_run(schedule: Schedule, timezone: str) -> Callable[[datetime], datetime]:
    """The due time of the run after one that starts at `now`: `every` plus up to `jitter`, or the next cron time."""
    jitter = parse_duration(schedule.jitter).total_seconds()
    if schedule.cron:
        trigger = CronTrigger.from_crontab(schedule.cron, timezone=timezone)
        return lambda now: trigger.get_next_fire_time(None, now.astimezone(ZoneInfo(timezone))) + \
            timedelta(seconds=random.uniform(0, jitter))
    every = schedule.interval()
    return lambda now: now + every + timedelta(seconds=random.uniform(0, jitter))


def _longest_gap(schedule: Schedule) -> timedelta:
    if schedule.cron:  # a cron expression may wait a year (e.g. "0 0 1 1 *"): never pull it forward
        return timedelta(days=400)
    return schedule.interval() + parse_duration(schedule.jitter)


def _guarded(label: str, func: Callable[[], object]) -> Callable[[], None]:
    """A job that logs its own failure instead of killing its thread; the next run retries."""

    def job() -> None:
        try:
            func()
        except Exception:
            log.exception("%s failed; it runs again on schedule", label)

    return job


def _now(timezone: str) -> datetime:
    return datetime.now(ZoneInfo(timezone))


def _install_signal_handlers(stop: threading.Event) -> None:
    shutdown.on_signal(stop.set)
