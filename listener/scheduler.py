"""The daemon's schedule: one APScheduler job per source, plus scoring, evaluation, dispatch, thread
tracking and housekeeping. The one home of apscheduler.

Reads `sources[].schedule` (`every` or `cron`, `jitter`) and `scheduler.*`. Each job runs at most one
instance at a time and missed runs coalesce, so a slow source never piles up. On SIGTERM/SIGINT the
scheduler stops taking new runs, waits for the running ones, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from listener import shutdown
from listener.config.schema import Schedule, parse_duration
from listener.pipeline import Pipeline

log = logging.getLogger(__name__)


def run_forever(pipeline: Pipeline, stop: threading.Event | None = None,
                on_start: Callable[[BackgroundScheduler], None] | None = None) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set); finish in-flight work; return the exit code.

    `on_start` gets the running scheduler (the readiness probe asks it whether it still runs)."""
    stop = stop or threading.Event()
    scheduler = build_scheduler(pipeline)
    _install_signal_handlers(stop)
    scheduler.start()
    if on_start is not None:
        on_start(scheduler)
    log.info("fangsiang running: %d sources; Ctrl-C or SIGTERM stops it", len(pipeline.parts.sources))
    stop.wait()
    log.info("stopping: waiting for running jobs to finish")
    shutdown.STOPPING.set()  # sources waiting out a retry give up now; their cursors stay put
    scheduler.shutdown(wait=True)
    pipeline.parts.store.dispose()
    log.info("stopped")
    return 0


def build_scheduler(pipeline: Pipeline) -> BackgroundScheduler:
    config = pipeline.parts.loaded.config.scheduler
    # Sources get their own pool: a source waiting out retries must never delay scoring or Slack delivery.
    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4),
                                               "sources": ThreadPoolExecutor(config.workers)},
                                    job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": 300},
                                    timezone=config.timezone)
    for name, source in pipeline.parts.sources.items():
        scheduler.add_job(_guarded(f"source {name}", lambda n=name: pipeline.ingest(n)),
                          _trigger(source.schedule, config.timezone), id=f"source:{name}", name=name,
                          executor="sources", next_run_time=_now(config.timezone))
    stages: list[tuple[str, str, Callable[[], object]]] = [
        ("score", config.score_every, lambda: (pipeline.score(), pipeline.evaluate())),
        ("dispatch", config.dispatch_every, pipeline.dispatch),
        ("track", config.track_every, pipeline.track),
        ("housekeeping", config.housekeeping_every, pipeline.housekeeping),
    ]
    for job_id, every, func in stages:
        scheduler.add_job(_guarded(job_id, func), IntervalTrigger(seconds=parse_duration(every).total_seconds()),
                          id=job_id, name=job_id, next_run_time=_now(config.timezone))
    return scheduler


def check_crontab(expression: str) -> None:
    """Raise ValueError (with APScheduler's reason) for a cron expression `run` could not schedule."""
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {expression!r}: {exc}") from None


def _trigger(schedule: Schedule, timezone: str) -> IntervalTrigger | CronTrigger:
    jitter = int(parse_duration(schedule.jitter).total_seconds()) or None
    if schedule.cron:
        return CronTrigger.from_crontab(schedule.cron, timezone=timezone)
    return IntervalTrigger(seconds=schedule.interval().total_seconds(), jitter=jitter)


def _guarded(label: str, func: Callable[[], object]) -> Callable[[], None]:
    """A job that logs its own failure instead of killing its thread; the next run retries."""

    def job() -> None:
        try:
            func()
        except Exception:
            log.exception("%s failed; it runs again on schedule", label)

    return job


def _now(timezone: str):  # type: ignore[no-untyped-def]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone))


def _install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
