"""`fangsiang backtest --watchlist NAME --since 30d`: re-run the watchlists as they are on disk now over the
posts already stored, and count what they would have produced per day and tier.

Reads config keys `watchlists` (the files as edited, validated as the daemon validates them), `storage.url`
(the live database, opened read-only: a running daemon may be using it), `storage.keep_text_days`, `model`
(only for matched posts with no stored score) and `alerting`. The replay itself is in `replay.py`, the
table and JSON in `rules_report.py`. Exit codes: 0 done, 1 no stored posts in the window, 2 a usage error
(unknown watchlist, bad --since, no database).
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from listener.config import LoadedConfig, parse_duration
from listener.incidents.growth import SPAN

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ].*)?$")


def run(args: Any, loaded: LoadedConfig) -> int:
    from listener.backtest.replay import replay
    from listener.backtest.rules_report import build_report, print_json, print_table

    now = datetime.now(timezone.utc)
    try:
        since = window_start(args.since, now)
        step = clock_step(args.step)
    except ValueError as exc:
        return _usage(str(exc))
    watchlists = edited_watchlists(loaded)  # a bad edit raises the daemon's ConfigError (file, line, key)
    chosen = choose(watchlists, args.watchlist)
    if chosen is None:
        known = ", ".join(w.name for w in watchlists) or "(none)"
        return _usage(f"unknown watchlist {args.watchlist!r}; the watchlists are: {known}")
    try:
        window, recorded = read_live(loaded, [w.name for w in chosen], since, now)
    except FileNotFoundError as exc:
        return _usage(str(exc))
    if not window.posts:
        print(f"fangsiang backtest: no stored posts since {since:%Y-%m-%d %H:%M} UTC in {_where(loaded)}",
              file=sys.stderr)
        return 1
    result = replay(loaded, chosen, window, since, now, load_model=lambda: _load_model(loaded), step=step)
    report = build_report(loaded, chosen, window, recorded, result, since, now, examples=args.examples)
    (print_json if args.json else print_table)(report)
    return 0


def window_start(value: str, now: datetime) -> datetime:
    """`--since`: a duration back from now (`30d`, `12h`) or a UTC date/time (`2026-11-01`)."""
    text = (value or "").strip()
    if _DATE.match(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"--since {value!r} is not a date (use e.g. 2026-11-01 or 30d)") from None
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    try:
        span = parse_duration(text)
    except ValueError:
        raise ValueError(f"--since {value!r} is neither a duration nor a date (use e.g. 30d, 12h or 2026-11-01)") \
            from None
    if span <= timedelta(0):
        raise ValueError(f"--since {value!r} must be longer than nothing")
    return now - span


def clock_step(value: str) -> timedelta:
    """`--step`: how far the simulated clock moves between two passes, from a minute to a day."""
    try:
        step = parse_duration(value)
    except ValueError:
        raise ValueError(f"--step {value!r} is not a duration (use e.g. 5m or 1h)") from None
    if not timedelta(minutes=1) <= step <= timedelta(days=1):
        raise ValueError(f"--step {value!r} must be from 1m to 24h (e.g. 5m, 15m, 1h)")
    return step


def edited_watchlists(loaded: LoadedConfig) -> Any:
    from listener.triage.watchlists import load_watchlists

    return load_watchlists(loaded.config.watchlists, loaded.base_dir, located=loaded.located,
                           alerting=loaded.config.alerting)


def choose(watchlists: Any, name: str | None) -> Any:
    """The WatchlistSet to replay: the one named (None when there is none of that name), or all."""
    from listener.triage.watchlists import WatchlistSet

    if name is None:
        return watchlists
    found = watchlists.get(name)
    return WatchlistSet([found]) if found is not None else None


def read_live(loaded: LoadedConfig, names: list[str], since: datetime, until: datetime) -> tuple[Any, Any]:
    from listener.store.backtest_repo import ReadOnlyStore, read_window, recorded_outcome

    live = ReadOnlyStore(loaded.storage_url)
    try:
        with live.session() as session:
            window = read_window(session, since, until, snapshots_since=since - SPAN)
            recorded = recorded_outcome(session, names, since, until)
    finally:
        live.dispose()
    return window, recorded


def _load_model(loaded: LoadedConfig) -> Any:
    from listener.app import build_backend

    print("fangsiang backtest: loading the model for matched posts with no stored score", file=sys.stderr)
    return build_backend(loaded)


def _where(loaded: LoadedConfig) -> str:
    url = loaded.storage_url
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url.split("@")[-1]


def _usage(message: str) -> int:
    print(f"fangsiang backtest: {message}", file=sys.stderr)
    return 2
