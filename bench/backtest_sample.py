"""A sample of the dev growth curves for `fangsiang backtest --threads`: the labelled ones (watched 72 h) of one
kind, big (≥ 100 replies in 72 h) and small (< 20) taken evenly through the file, so a replay through the real
pipeline fits in minutes. The dev split is the one bench/forecast_eval.py and the forecast fit use (md5 of the
thread id, listener/incidents/growth_curves.py).

    python -m bench.backtest_sample --data ../shared/data/thread-growth --kind forum-thread --big 80 --small 120 \
        --out /tmp/dev-forum.jsonl
    OMP_NUM_THREADS=1 fangsiang backtest --threads /tmp/dev-forum.jsonl \
        --root-text "ทรูมูฟ เน็ตช้ามากช่วงนี้ ใครเป็นบ้างครับ" --json

Prints the command line, how many curves of each label the split holds and how many were written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from listener.incidents.growth_curves import curves_path, split_of

HORIZON_S = 72 * 3600.0


def label(row: dict) -> str | None:
    observed = (row.get("meta") or {}).get("observed_s")
    if observed is not None and observed < HORIZON_S:
        return None
    count = sum(1 for t in row["reply_times"] if t <= HORIZON_S)
    return "big" if count >= 100 else "small" if count < 20 else None


def evenly(lines: list[str], wanted: int) -> list[str]:
    if wanted <= 0 or wanted >= len(lines):
        return lines
    return lines[:: len(lines) // wanted][:wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/thread-growth"))
    parser.add_argument("--kind", default="forum-thread")
    parser.add_argument("--big", type=int, default=80, help="big curves to keep (0: all)")
    parser.add_argument("--small", type=int, default=120, help="small curves to keep (0: all)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print("python -m bench.backtest_sample " + " ".join(argv if argv is not None else sys.argv[1:]))
    found: dict[str, list[str]] = {"big": [], "small": []}
    with curves_path(args.data).open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["kind"] == args.kind and split_of(row["thread_id"]) == "dev" and (kind := label(row)):
                found[kind].append(line)
    big, small = evenly(found["big"], args.big), evenly(found["small"], args.small)
    args.out.write_text("".join(big + small), encoding="utf-8")
    print(f"dev {args.kind}: {len(found['big'])} big, {len(found['small'])} small; wrote {len(big)} big + "
          f"{len(small)} small to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
