"""`fangsiang silence add | list | expire`: silences from the command line (the same ones the console and the
Slack button make). Writes to the configured database; a running daemon honours a new silence at its next
dispatch.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from typing import Any

from listener.config.schema import parse_duration
from listener.delivery.silences import add_silence, describe, expire_silence
from listener.store import Store, silences_repo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="silence a watchlist, a thread or a term for a while")
    add.add_argument("--watchlist", help="a watchlist's name")
    add.add_argument("--thread", help="source/thread_id, e.g. pantip/43512345")
    add.add_argument("--term", help="a matched term or escalation cue")
    add.add_argument("--for", dest="duration", default="4h", help="how long: 30m, 4h, 2d (default 4h)")
    add.add_argument("--comment", default="", help="why, shown with the silence")
    add.add_argument("--by", default="cli", help="who is silencing (default: cli)")
    listing = verbs.add_parser("list", help="running silences and those ended in the last 7 days, with what "
                                            "each held back")
    listing.add_argument("--all", action="store_true", help="every silence ever made")
    expire = verbs.add_parser("expire", help="end silences now")
    expire.add_argument("ids", nargs="+", type=int)
    expire.add_argument("--by", default="cli")


def silence_command(args: argparse.Namespace, store: Store, now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc)
    with store.session() as session:
        if args.verb == "add":
            return _add(session, args, now)
        if args.verb == "expire":
            return _expire(session, args, now)
        _list(session, now, everything=args.all)
    return 0


def _add(session: Any, args: argparse.Namespace, now: datetime) -> int:
    thread = None
    if args.thread:
        source, _, thread_id = args.thread.partition("/")
        if not source or not thread_id:
            print("--thread is source/thread_id, e.g. pantip/43512345")
            return 2
        thread = (source, thread_id)
    try:
        duration = parse_duration(args.duration)
        silence = add_silence(session, now=now, duration=duration, watchlist=args.watchlist, thread=thread,
                              term=args.term, by=args.by, comment=args.comment)
    except ValueError as exc:
        print(f"cannot silence: {exc}")
        return 2
    print(f"silence #{silence.id}: {describe(silence)} until {silence.ends_at:%Y-%m-%d %H:%M} UTC")
    return 0


def _expire(session: Any, args: argparse.Namespace, now: datetime) -> int:
    missing = [i for i in args.ids if expire_silence(session, i, now=now, by=args.by) is None]
    for silence_id in args.ids:
        if silence_id not in missing:
            print(f"silence #{silence_id} ended; what it held back is posted at the next dispatch")
    for silence_id in missing:
        print(f"no silence #{silence_id}")
    return 1 if missing else 0


def _list(session: Any, now: datetime, *, everything: bool) -> None:
    found = silences_repo.all_silences(session, ended_since=None if everything else now - timedelta(days=7))
    if not found:
        print("no silences")
    counts = silences_repo.silenced_counts(session)
    for silence in found:
        state = "active" if silence.starts_at <= now < silence.ends_at else "ended"
        by = f" by {silence.created_by}" if silence.created_by else ""
        why = f" ({silence.comment})" if silence.comment else ""
        print(f"#{silence.id} {state}: {describe(silence)} {silence.starts_at:%Y-%m-%d %H:%M} → "
              f"{silence.ends_at:%Y-%m-%d %H:%M} UTC{by}{why}; held back {counts.get(silence.id, 0)} alert(s)")
        for row in silences_repo.silenced_rows(session, silence.id):
            title = " ".join(str(row.payload.get("title", "")).split())[:70]
            print(f"    {row.kind} for incident #{row.incident_id} to {row.channel}: {title}")
