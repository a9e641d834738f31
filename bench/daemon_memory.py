"""Resident memory of the model the daemon loads with a config (both stages with the shipped config.yaml):
load time, RSS after loading, after scoring Pantip texts, and the peak.

    python -m bench.daemon_memory [--config config.yaml] [--n 256]

Texts: th-pantip-complaints dev under $FANGSIANG_DATA (or ../shared/data). RSS is read from /proc/self/status.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    data = Path(os.environ.get("FANGSIANG_DATA", "../shared/data"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--texts", type=Path, default=data / "th-pantip-complaints" / "dev.jsonl")
    parser.add_argument("--n", type=int, default=256)
    args = parser.parse_args()
    from listener.app import build_backend
    from listener.config import load_config

    with args.texts.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for _, line in zip(range(args.n), f)]
    before = rss_mb()
    started = time.perf_counter()
    backend = build_backend(load_config(args.config))
    load_s = time.perf_counter() - started
    loaded = rss_mb()
    backend.predict(texts)
    print(f"python -m bench.daemon_memory --config {args.config} --n {args.n}")
    print(f"load {load_s:.1f} s; RSS {before:.0f} MB before, {loaded:.0f} MB loaded, {rss_mb():.0f} MB after "
          f"scoring {len(texts)} texts; peak {rss_mb('VmHWM'):.0f} MB")


if __name__ == "__main__":
    main()
