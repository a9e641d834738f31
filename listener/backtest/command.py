"""The `fangsiang backtest` command line: `--threads FILE.jsonl` replays growth curves, `--since` re-runs a
watchlist over stored posts."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", metavar="FILE.jsonl",
                        help="replay these growth curves (thread-growth format) as Pantip threads")
    parser.add_argument("--root-text", help="the topic text of every replayed thread (a line's root_text wins)")
    parser.add_argument("--watchlist", metavar="NAME", help="the watchlist to evaluate (default: all)")
    parser.add_argument("--since", metavar="30d", help="re-run the watchlist over posts stored in this window")
    parser.add_argument("--kind", metavar="K", help="with --threads: only curves of this kind (e.g. forum-thread)")
    parser.add_argument("--limit", type=int, default=0, metavar="N",
                        help="with --threads: every k-th curve so that about N remain")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="with --threads: replay in N processes")
    parser.add_argument("--per-thread", action="store_true",
                        help="with --threads --json: add one row per thread (size, first read, flag times, messages)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--examples", type=int, default=3, metavar="N",
                        help="with --since: the riskiest incidents shown per tier (default 3)")
    parser.add_argument("--step", default="5m", metavar="5m",
                        help="with --since: how far the simulated clock moves between two passes of the stages "
                             "(default 5m, the default poll interval; longer is faster on a busy store)")


def backtest_command(args: argparse.Namespace, loaded: Any) -> int:
    if bool(args.threads) == bool(args.since):
        raise SystemExit("fangsiang backtest: give either --threads FILE.jsonl or --watchlist NAME --since 30d")
    if args.threads:
        from listener.backtest.threads import run as run_threads

        return run_threads(args, loaded)
    from listener.backtest.rules import run as run_rules

    return run_rules(args, loaded)
