"""`fangsiang score`: score texts without the daemon, one JSON object per input line.

Input lines: {"id", "text", optional "thread_title" (a comment is then judged with its thread's title)}.
Output: {"id", "lang", "sentiment", "probs", "complaint", "risk", "cues"}; `risk` is the text-only risk
(no thread growth is known outside the daemon). Bad input lines are reported on stderr with their line
number and skipped; the exit code is 1 if any line was bad.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from typing import Any, Iterable, Iterator, TextIO

from listener.incidents.growth import Growth
from listener.incidents.risk import assess
from listener.triage.stages import TEXT_KIND
from sentiment.context import predict_in_threads
from sentiment.types import Verdict

BATCH = 256


def verdict_json(verdict: Verdict, item_id: Any = None) -> dict[str, Any]:
    risk = assess(verdict, 1.0, Growth(), {})
    return {"id": item_id, "lang": verdict.lang, "sentiment": verdict.label,
            "probs": {k: round(float(v), 4) for k, v in verdict.probs.items()},
            "complaint": round(float(verdict.complaint), 4), "risk": round(risk.score, 4),
            "reason": risk.reason, "cues": list(verdict.cues)}


def score_command(args: argparse.Namespace) -> int:
    backend = _backend(args)
    if args.input is None and args.text is None:
        print("give a text, or --input FILE.jsonl", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        out = stack.enter_context(open(args.output, "w", encoding="utf-8")) if args.output else sys.stdout
        if args.input is None:
            _write(out, verdict_json(predict_in_threads(backend, [args.text], [None], [TEXT_KIND])[0]))
            return 0
        source = sys.stdin if args.input == "-" else stack.enter_context(open(args.input, encoding="utf-8-sig"))
        bad = score_stream(backend, source, out)
    return 1 if bad else 0


def score_stream(backend: Any, lines: Iterable[str], out: TextIO) -> int:
    """Score JSONL lines in batches; return the number of bad lines."""
    bad = 0
    batch: list[tuple[Any, str]] = []
    for number, item in _items(lines):
        if isinstance(item, str):  # an error message
            print(f"line {number}: {item}", file=sys.stderr)
            bad += 1
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            _flush(backend, batch, out)
    _flush(backend, batch, out)
    return bad


def _items(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON ({exc.msg})"
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield number, 'expected an object with a string "text"'
            continue
        title = record.get("thread_title")  # a comment is judged with its thread's title, as in the daemon
        yield number, (record.get("id"), record["text"], title if isinstance(title, str) else None)


def _flush(backend: Any, batch: list[tuple[Any, str, str | None]], out: TextIO) -> None:
    if not batch:
        return
    verdicts = predict_in_threads(backend, [item[1] for item in batch], [item[2] for item in batch],
                                  [TEXT_KIND] * len(batch))
    for (item_id, _, _), verdict in zip(batch, verdicts):
        _write(out, verdict_json(verdict, item_id))
    batch.clear()


def _write(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _backend(args: argparse.Namespace) -> Any:
    """The configured model when a config file is there, else the embedded default."""
    from pathlib import Path

    from sentiment import load_backend

    if not getattr(args, "no_config", False) and Path(args.config).exists():
        from listener.app import build_backend
        from listener.config import load_config

        return build_backend(load_config(args.config))
    return load_backend("embedded")
