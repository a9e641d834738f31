"""The `fangsiang` command: run | once | check | score | eval | demo | status | outbox | schema | completion |
console | silence | backtest.

Exit codes: 0 ok, 1 runtime failure (or bad input lines for `score`), 2 invalid configuration.
`--config` defaults to $FANGSIANG_CONFIG or ./config.yaml. The one home of shtab (shell completion).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from listener.errors import ConfigError
from listener.logs import setup_logging

log = logging.getLogger("fangsiang")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    evaluator_args: list[str] = []
    if "eval" in argv:  # everything after `eval` belongs to the evaluator (it has its own --help)
        at = argv.index("eval")
        argv, evaluator_args = argv[:at + 1], argv[at + 1:]
    args = _parser().parse_args(argv)
    args.rest = evaluator_args
    default_level = "INFO" if args.command in ("run", "once", "status") else "WARNING"
    setup_logging(args.log_level or default_level, args.log_format)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fangsiang", description="Social listening and Slack alerting daemon.")
    parser.add_argument("--config", default=os.environ.get("FANGSIANG_CONFIG", "config.yaml"),
                        help="config file (default: $FANGSIANG_CONFIG or ./config.yaml)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--log-format", choices=["text", "json"],
                        default=os.environ.get("FANGSIANG_LOG_FORMAT", "text"),
                        help="text lines, or one JSON object per line (default: $FANGSIANG_LOG_FORMAT or text)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the daemon until SIGTERM/SIGINT").set_defaults(func=_run)
    commands.add_parser("once", help="run every stage one time, then exit").set_defaults(func=_once)
    check = commands.add_parser("check", help="validate config and watchlists, print what is configured")
    check.add_argument("--slack", action="store_true",
                       help="also ask Slack whether the token, channels and mentions work (posts nothing)")
    check.set_defaults(func=_check)
    commands.add_parser("status", help="print each source's health from the database").set_defaults(func=_status)
    score = commands.add_parser("score", help="score text without the daemon")
    score.add_argument("text", nargs="?", help="a text to score")
    score.add_argument("--input", help="JSONL file of {\"id\", \"text\"} lines ('-' for stdin)")
    score.add_argument("--output", help="JSONL output file (default stdout)")
    score.add_argument("--no-config", action="store_true", help="use the embedded model without config.yaml")
    score.set_defaults(func=_score)
    evaluate = commands.add_parser("eval", help="evaluate the model on labelled JSONL files (eval --help)",
                                   add_help=False)
    evaluate.set_defaults(func=_eval)
    _outbox_parser(commands)
    schema = commands.add_parser("schema", help="print the JSON Schema of config.yaml (for editors)")
    schema.add_argument("--output", help="write it to this file instead")
    schema.set_defaults(func=_schema)
    completion = commands.add_parser("completion", help="print a shell completion script")
    completion.add_argument("shell", choices=["bash", "zsh", "tcsh"])
    completion.set_defaults(func=_completion)
    console = commands.add_parser("console", help="the web console alone, read-only, over the configured database")
    console.add_argument("--port", type=int, help="listen on this port instead of console.port")
    console.set_defaults(func=_console)
    from listener.delivery.silence_command import add_arguments

    silence = commands.add_parser("silence", help="silence a watchlist, thread or term: add | list | expire")
    add_arguments(silence)
    silence.set_defaults(func=_silence)
    from listener.backtest.command import add_arguments as backtest_arguments

    backtest = commands.add_parser("backtest", help="replay growth curves or re-run a watchlist on a simulated "
                                                    "clock: what would have alerted (nothing is sent)")
    backtest_arguments(backtest)
    backtest.set_defaults(func=_backtest)
    demo = commands.add_parser("demo", help="the whole pipeline offline on captured pages, alerts shown here")
    demo.add_argument("--slack-url", help="send to this Slack-compatible API root instead of the console")
    demo.set_defaults(func=_demo)
    return parser


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("fangsiang")
    except PackageNotFoundError:  # run from a checkout without installing
        return "unknown"


def _outbox_parser(commands: Any) -> None:
    outbox = commands.add_parser("outbox", help="list the alert outbox; re-send dead alerts after a fix")
    verbs = outbox.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list", help="alerts waiting, failing or dead, with their last error")
    listing.add_argument("--status", action="append", choices=["dead", "sending", "pending", "held", "digest"],
                         help="only rows with this status (repeatable; default: all of these)")
    resend = verbs.add_parser("resend", help="put dead alerts back in line")
    which = resend.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, action="append", dest="ids", metavar="N", help="this row (repeatable)")
    which.add_argument("--all-dead", action="store_true", help="every dead alert")
    outbox.set_defaults(func=_outbox)


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from listener.config import load_config

    loaded = load_config(args.config)
    if args.log_level is None and args.command in ("run", "once", "status"):
        logging.getLogger().setLevel(loaded.config.log_level)
    return loaded


def _pipeline(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return _pipeline_from(_load(args))


def _pipeline_from(loaded: Any):  # type: ignore[no-untyped-def]
    from listener.app import build
    from listener.pipeline import Pipeline

    return Pipeline(build(loaded))


def _run(args: argparse.Namespace) -> int:
    from listener import metrics, shutdown
    from listener.app import start_buttons
    from listener.scheduler import run_forever

    log.info("fangsiang %s starting with %s: loading the configuration, then the model (up to half a minute "
             "with a second stage)", version(), args.config)
    try:
        with shutdown.starting():  # SIGTERM while the model loads or the schema migrates: exit 0, not -15
            loaded = _load(args)
            readiness = metrics.Readiness(expected=("database", "scheduler"))
            if loaded.config.metrics.enabled:  # /healthz answers while the model loads; /readyz says what starts
                metrics.serve(loaded.config.metrics.host, loaded.config.metrics.port, readiness)
            pipeline = _pipeline_from(loaded)
            readiness.add("database", pipeline.parts.store.ping)
            buttons = start_buttons(pipeline.parts.loaded, pipeline.parts.notifier, pipeline.on_button,
                                    report=pipeline.notify_ops)
            console = _start_console(pipeline.parts)
    except shutdown.StartupInterrupted:
        log.info("stopped during start-up")
        return 0
    try:
        return run_forever(pipeline, on_start=lambda scheduler: readiness.add("scheduler", lambda: scheduler.running))
    finally:
        if console is not None:
            console.stop()
        if buttons is not None:
            buttons.close()


def _start_console(parts):  # type: ignore[no-untyped-def]
    """The web console in a thread of the daemon, unless `console.enabled` is false."""
    if not parts.loaded.config.console.enabled:
        return None
    from listener.console import console_server, daemon_context

    server = console_server(parts.loaded, daemon_context(parts))
    return server if server.start() else None


def _console(args: argparse.Namespace) -> int:
    from listener.console import console_server, standalone_context

    loaded = _load(args)
    console_server(loaded, standalone_context(loaded), port=args.port).run()
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from listener.backtest.command import backtest_command

    return backtest_command(args, _load(args))


def _silence(args: argparse.Namespace) -> int:
    from listener.delivery.silence_command import silence_command
    from listener.store import Store

    store = Store(_load(args).storage_url)
    store.migrate()
    return silence_command(args, store)


def _once(args: argparse.Namespace) -> int:
    import time

    pipeline = _pipeline(args)
    if (wait := pipeline.dispatcher.settle_wait_s(pipeline.parts.store.session)) > 0:
        log.info("a message was cut short by an earlier run: waiting %.0f s to look it up in Slack first", wait)
        time.sleep(wait)
    report = pipeline.run_once()
    failed = [r for r in report.ingested if r.error]
    for result in report.ingested:
        state = f"error: {result.error}" if result.error else f"{result.fetched} fetched, {result.new} new" + (
            f", {result.rejected} set aside (see fangsiang status)" if result.rejected else "")
        print(f"source {result.source}: {state}")
    print(f"scored {report.scored}, evaluated {report.evaluated}, dispatched: {report.dispatched}")
    return 1 if failed and len(failed) == len(report.ingested) else 0


def _check(args: argparse.Namespace) -> int:
    from listener.app import build_watchlists
    from listener.describe import describe

    loaded = _load(args)
    watchlists = build_watchlists(loaded)
    print(describe(loaded, watchlists.current))
    if args.slack:
        from listener.describe import describe_slack

        report, ok = describe_slack(loaded, watchlists.current)
        print(report)
        return 0 if ok else 2
    return 0


def _status(args: argparse.Namespace) -> int:
    from listener.describe import describe_health
    from listener.store import Store

    loaded = _load(args)
    store = Store(loaded.storage_url)
    store.migrate()
    print(describe_health(store))
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from listener.delivery import outbox_command
    from listener.store import Store

    store = Store(_load(args).storage_url)
    store.migrate()
    if args.verb == "list":
        print(outbox_command.list_rows(store, args.status or outbox_command.OPEN_STATUSES))
    else:
        print(outbox_command.resend(store, None if args.all_dead else args.ids))
    return 0


def _schema(args: argparse.Namespace) -> int:
    from listener.config.json_schema import config_schema_text

    text = config_schema_text()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _completion(args: argparse.Namespace) -> int:
    import shtab

    print(shtab.complete(_parser(), shell=args.shell))
    return 0


def _score(args: argparse.Namespace) -> int:
    from listener.triage.score_command import score_command

    return score_command(args)


def _eval(args: argparse.Namespace) -> int:
    """The configured model (config.yaml's `model`, second stage included) unless told otherwise."""
    from sentiment.evaluate import main as evaluate_main

    def configured():  # type: ignore[no-untyped-def]
        from listener.app import build_backend

        return build_backend(_load(args))

    return int(evaluate_main(args.rest, configured=configured if os.path.exists(args.config) else None) or 0)


def _demo(args: argparse.Namespace) -> int:
    from listener.demo import run_demo

    return run_demo(slack_url=args.slack_url)


if __name__ == "__main__":
    sys.exit(main())
