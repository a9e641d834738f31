"""The replayed threads: lines of a `thread-growth` JSONL file read as Pantip topics.

A line is a growth curve (see listener/incidents/growth_curves.py) plus two optional fields of its own:
`root_text` (the topic's title and text, else the `--root-text` of the command) and `texts` (the comments'
texts in order; missing ones are a neutral "following" comment). Each line becomes a numeric Pantip topic id
of its own (`TOPIC_BASE` + line number), so threads of one file never share an id, whatever store they meet in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import numpy as np

from listener.incidents.growth_curves import CurveError, curve_lines, parse_curve

TOPIC_BASE = 40_000_000  # far above the topic ids of the captured Pantip pages the tests use
NEUTRAL_COMMENT = "ติดตามครับ"  # "following (this thread)": what most comments of a busy Pantip topic say
# A curve without a root time starts on a weekday morning in Bangkok, inside office hours.
DEFAULT_ROOT = datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc)


@dataclass(frozen=True, eq=False)
class ReplayThread:
    line: int
    name: str  # the curve's own thread_id
    kind: str
    curve_source: str
    tid: str  # the Pantip topic id it is replayed as
    root_at: datetime
    times: np.ndarray  # reply times, seconds after the root
    observed_s: float | None
    root_text: str
    texts: tuple[str, ...]

    def visible(self, now: datetime) -> int:
        """Replies posted at or before `now`."""
        return int(np.searchsorted(self.times, (now - self.root_at).total_seconds(), side="right"))

    def comment_text(self, number: int) -> str:
        return self.texts[number - 1] if number <= len(self.texts) else NEUTRAL_COMMENT

    def reply_at(self, number: int) -> datetime:
        return self.root_at + timedelta(seconds=float(self.times[number - 1]))

    def count_at(self, offset_s: float) -> int:
        return int(np.searchsorted(self.times, offset_s, side="right"))

    def watched_for(self, horizon_s: float) -> bool:
        return self.observed_s is None or self.observed_s >= horizon_s


def read_threads(path: Path, root_text: str | None) -> Iterator[ReplayThread]:
    """Every line of the file as a thread; a line that cannot be replayed raises CurveError naming it."""
    for number, line, where in curve_lines(path):
        yield parse_thread(line, number, where, root_text)


def parse_thread(line: str, number: int, where: str, root_text: str | None) -> ReplayThread:
    curve = parse_curve(line, where)
    row = json.loads(line)
    if not isinstance(row, dict):
        raise CurveError(f"{where}: not a growth curve (a JSON object is needed)")
    text = row.get("root_text") or root_text
    if not isinstance(text, str) or not text.strip():
        raise CurveError(f"{where}: no topic text: give --root-text or a `root_text` on the line")
    texts = row.get("texts") or []
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise CurveError(f"{where}: `texts` must be a list of strings (the comments' texts in order)")
    return ReplayThread(line=number, name=curve.thread_id, kind=curve.kind, curve_source=curve.source,
                        tid=str(TOPIC_BASE + number), root_at=_root_time(row.get("root_time"), where),
                        times=curve.times, observed_s=curve.observed_s, root_text=text.strip(), texts=tuple(texts))


def _root_time(value: object, where: str) -> datetime:
    if value is None:
        return DEFAULT_ROOT
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise CurveError(f"{where}: root_time {value!r} is not an ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
