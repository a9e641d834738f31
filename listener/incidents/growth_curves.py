"""Thread-growth curves in the `thread-growth` JSONL format: reading them, the censoring rule and the split.

Reads no config. One line is one thread: `thread_id`, `source`, `kind`, `reply_times` (seconds after the root,
ascending) and `meta.observed_s` (how long after the root the thread was watched; absent = complete as
published). The split is carved from an md5 of the thread id, so it never depends on file order and a curve
stays in the same split when the file grows; the product's held-out test curves are kept elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

DEV_SHARE = 4  # one curve in DEV_SHARE goes to dev (md5 of the thread id), the rest to train
SPLITS = ("train", "dev")


class CurveError(ValueError):
    """A line of a growth-curve file that cannot be read (the message names the file and line)."""


@dataclass(frozen=True, eq=False)
class Curve:
    thread_id: str
    source: str
    kind: str
    times: np.ndarray  # reply times in seconds after the root, ascending
    observed_s: float | None  # None: complete as published

    def count_at(self, moment_s: float) -> int:
        """Replies at or before `moment_s` seconds after the root."""
        return int(np.searchsorted(self.times, moment_s, side="right"))

    def watched_for(self, horizon_s: float) -> bool:
        """True when the count at `horizon_s` is a real label, not cut short by the end of observation."""
        return self.observed_s is None or self.observed_s >= horizon_s

    @property
    def split(self) -> str:
        return split_of(self.thread_id)


def split_of(thread_id: str) -> str:
    """'dev' or 'train', fixed by the md5 of the thread id."""
    bucket = int(hashlib.md5(thread_id.encode("utf-8")).hexdigest(), 16) % DEV_SHARE
    return "dev" if bucket == 0 else "train"


def curves_path(data: Path) -> Path:
    """The curves file: `data` itself, or `threads.jsonl` inside the folder `data`."""
    return data / "threads.jsonl" if data.is_dir() else data


def read_curves(data: Path, splits: Iterable[str] = SPLITS) -> list[Curve]:
    """Every curve of the chosen splits, in file order."""
    wanted = set(splits)
    unknown = wanted - set(SPLITS)
    if unknown:
        raise CurveError(f"unknown split(s) {sorted(unknown)}; valid: {', '.join(SPLITS)}")
    return [curve for curve in iter_curves(curves_path(data)) if curve.split in wanted]


def iter_curves(path: Path) -> Iterator[Curve]:
    for _, line, where in curve_lines(path):
        yield parse_curve(line, where)


def curve_lines(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line number, line, "FILE:LINE") of every non-blank line of a curves file."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as err:
        raise CurveError(f"{path}: cannot read growth curves: {err.strerror}") from err
    with handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line, f"{path}:{number}"


def parse_curve(line: str, where: str) -> Curve:
    try:
        row = json.loads(line)
        times = np.asarray(row["reply_times"], dtype=float)
        observed = (row.get("meta") or {}).get("observed_s")
        curve = Curve(str(row["thread_id"]), str(row["source"]), str(row["kind"]), times,
                      None if observed is None else float(observed))
    except (ValueError, KeyError, TypeError) as err:
        raise CurveError(f"{where}: not a growth curve ({type(err).__name__}: {err})") from err
    if times.ndim != 1 or (times.size and (times[0] < 0 or np.any(np.diff(times) < 0))):
        raise CurveError(f"{where}: reply_times must be seconds after the root, ascending and >= 0")
    return curve
