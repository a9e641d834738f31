"""`fangsiang backtest --threads FILE.jsonl`: growth curves replayed as Pantip threads through the real pipeline.

Reads the config's `sources` (the first enabled Pantip source is the one replayed, at its `schedule`; its
`options.max_comment_pages` and `reply_sweep_every`), `scheduler.*`, `tracking.*`, `alerting.*`, `model.*` and
`watchlists`. Each thread gets a store of its own (a copy of one migrated SQLite file), the configured model
(each distinct text scored once), a replay scraper in place of Pantip and a sink that records every message;
the clock is simulated (listener/backtest/simulation.py). Nothing is fetched and nothing is sent to Slack.

The topic text must match a watchlist: `--watchlist NAME` (only that watchlist is evaluated), else at least one
of the configured watchlists (all are evaluated). A text that matches none is refused with the line it is on:
such a thread would never be followed, and its figures would say nothing about the pipeline.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Sequence

from listener.backtest.curves import ReplayThread, read_threads
from listener.backtest.figures import Judged, by_kind, figures, judge, per_thread
from listener.backtest.harness import CachedBackend, FixedWatchlists, RecordingSink, SimClock
from listener.backtest.replay_scraper import ReplayScraper
from listener.backtest.simulation import ThreadReplay
from listener.backtest.table import render_table
from listener.incidents.growth_curves import CurveError

QUIET = ("listener", "scrapers", "sentiment", "alerts")  # per-stage info lines would drown the progress bar


class Replayer:
    """Everything shared by the threads of one run: the config narrowed to the replayed source, the model,
    the watchlists and a migrated store file to copy."""

    def __init__(self, loaded: Any, watchlist: str | None, workdir: Path, backend: Any = None) -> None:
        from listener.app import build_backend, build_watchlists
        from listener.store import Store
        from listener.triage.watchlists import WatchlistSet

        self.source = _pantip_source(loaded)
        config = loaded.config
        template = workdir / "template.db"
        storage = config.storage.model_copy(update={"url": f"sqlite:///{template}"})
        self.loaded = dataclasses.replace(loaded, config=config.model_copy(
            update={"storage": storage, "sources": [self.source]}))
        store = Store(self.loaded.storage_url)
        store.migrate()
        store.dispose()
        self.template, self.workdir = template, workdir
        watchlists = build_watchlists(loaded).current
        if watchlist is not None:
            if watchlists.get(watchlist) is None:
                names = ", ".join(w.name for w in watchlists) or "none"
                raise SystemExit(f"fangsiang backtest: no watchlist {watchlist!r} in the config (there are: {names})")
            watchlists = WatchlistSet([w for w in watchlists if w.name == watchlist])
        self.watchlists = watchlists
        self.backend = CachedBackend(backend if backend is not None else build_backend(loaded))
        options = loaded.source_options[self.source.name]
        self.pages = int(getattr(options, "max_comment_pages", 3))
        self.sweep = int(getattr(options, "reply_sweep_every", 6))

    def check(self, thread: ReplayThread, where: str) -> None:
        if not self.watchlists.match(thread.root_text, source=self.source.name):
            names = ", ".join(w.name for w in self.watchlists)
            raise SystemExit(f"fangsiang backtest: {where}: the topic text {thread.root_text[:60]!r} matches no "
                             f"watchlist ({names}) on source {self.source.name}: it would never be followed")

    def replay(self, thread: ReplayThread) -> Judged:
        from listener.app import build
        from listener.pipeline import Pipeline

        path = self.workdir / f"thread-{thread.line}.db"
        shutil.copyfile(self.template, path)
        path.chmod(0o600)  # private like every store the daemon makes (and no warning per thread)
        loaded = dataclasses.replace(self.loaded, config=self.loaded.config.model_copy(update={
            "storage": self.loaded.config.storage.model_copy(update={"url": f"sqlite:///{path}"})}))
        clock = SimClock(thread.root_at)
        sink = RecordingSink(clock)
        parts = build(loaded, clock=clock, notifier=sink, backend=self.backend, migrate=False)
        scraper = ReplayScraper(self.source.name, thread, clock, self.pages, self.sweep)
        parts.scrapers = {self.source.name: scraper}
        parts.watchlists = FixedWatchlists(self.watchlists)
        try:
            run = ThreadReplay(Pipeline(parts), clock, sink, scraper, self.source).run()
        finally:
            parts.store.dispose()
            path.unlink(missing_ok=True)
        return judge(run)


def run(args: argparse.Namespace, loaded: Any, backend: Any = None) -> int:
    """The command; `backend` is the model to score with (default: the config's)."""
    path = Path(args.threads)
    threads = _chosen(_read_all(path, args.root_text), getattr(args, "kind", None), getattr(args, "limit", 0))
    if not threads:
        raise SystemExit(f"fangsiang backtest: no threads to replay in {path}"
                         + (f" of kind {args.kind!r}" if getattr(args, "kind", None) else ""))
    for level_of in QUIET:
        logging.getLogger(level_of).setLevel(logging.WARNING)
    started, cpu = time.perf_counter(), time.process_time()
    jobs = max(1, int(getattr(args, "jobs", 1) or 1))
    with tempfile.TemporaryDirectory(prefix="fangsiang-backtest-") as workdir:
        replayer = Replayer(loaded, args.watchlist, Path(workdir), backend)
        for thread in threads:
            replayer.check(thread, f"{path}:{thread.line}")
        progress = None if args.json else Progress(len(threads))
        judged = list(_replay_all(replayer, threads, jobs, args, loaded, Path(workdir), progress))
        asked, computed = replayer.backend.asked, replayer.backend.computed
    wall = time.perf_counter() - started
    result = figures(judged)
    replies = sum(j.run.thread.count_at(72 * 3600.0) for j in judged)
    result["by_kind"] = by_kind(judged)
    result["run"] = {"source": replayer.source.name, "watchlists": [w.name for w in replayer.watchlists],
                     "jobs": jobs, "wall_s": round(wall, 1), "cpu_s_main": round(time.process_time() - cpu, 1),
                     "threads_per_s": round(len(judged) / wall, 3), "replies_per_s": round(replies / wall, 1),
                     "replies": replies, "texts_scored": computed if jobs == 1 else None,
                     "texts_asked": asked if jobs == 1 else None}
    if getattr(args, "per_thread", False):
        result["per_thread"] = per_thread(judged)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(render_table(result))
    return 0


def _replay_all(replayer: Replayer, threads: Sequence[ReplayThread], jobs: int, args: argparse.Namespace,
                loaded: Any, workdir: Path, progress: "Progress | None") -> Iterator[Judged]:
    if jobs == 1:
        for thread in threads:
            yield replayer.replay(thread)
            if progress:
                progress.step()
    else:
        chunks = [list(threads[i::jobs]) for i in range(jobs)]
        with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(loaded, args.watchlist, workdir)) as pool:
            for done in pool.map(_replay_chunk, chunks):
                if progress:
                    progress.step(len(done))
                yield from done
    if progress:
        progress.done()


_WORKER: Replayer | None = None


def _start_worker(loaded: Any, watchlist: str | None, workdir: Path) -> None:
    global _WORKER
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    own = workdir / f"worker-{os.getpid()}"
    own.mkdir()
    _WORKER = Replayer(loaded, watchlist, own)


def _replay_chunk(threads: list[ReplayThread]) -> list[Judged]:
    assert _WORKER is not None
    return [_WORKER.replay(thread) for thread in threads]


def _read_all(path: Path, root_text: str | None) -> list[ReplayThread]:
    try:
        return list(read_threads(path, root_text))
    except CurveError as err:
        raise SystemExit(f"fangsiang backtest: {err}") from None


def _chosen(threads: list[ReplayThread], kind: str | None, limit: int) -> list[ReplayThread]:
    """Threads of `kind`, then every k-th so that about `limit` remain (spread over the whole file)."""
    if kind:
        threads = [t for t in threads if t.kind == kind]
    if limit and len(threads) > limit:
        threads = threads[:: len(threads) // limit][:limit]
    return threads


def _pantip_source(loaded: Any) -> Any:
    for source in loaded.config.sources:
        if source.enabled and source.kind == "pantip":
            return source
    raise SystemExit("fangsiang backtest: the config has no enabled Pantip source to replay the threads on")


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width, self.count, self.started = total, width, 0, time.perf_counter()

    def step(self, count: int = 1) -> None:
        self.count += count
        filled = self.width * self.count // self.total
        elapsed = time.perf_counter() - self.started
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.count}/{self.total} threads "
                         f"{elapsed:.0f} s")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
