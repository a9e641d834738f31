"""CPU speed of the English complaint stage (`e5-complaint`): load time, batch texts/s, single-text latency, memory.

    python bench/complaint_stage_speed.py [--texts FILE.jsonl] [--n 256] [--latency-calls 100] [--threads 1]

Texts default to the en-complaints dev split under $FANGSIANG_DATA (or ../shared/data). Only English posts
that matched a watchlist reach this stage, so its speed is reported apart from the embedded model's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from latency import single_text_ms  # beside this file


def main() -> None:
    data = Path(os.environ.get("FANGSIANG_DATA", "../shared/data"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, default=data / "en-complaints" / "dev.jsonl")
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--latency-calls", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    from sentiment.encoder.complaint import E5Complaint

    with args.texts.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for _, line in zip(range(args.n), f)]
    started = time.perf_counter()
    stage = E5Complaint.from_options(threads=args.threads)
    load_s = time.perf_counter() - started
    stage.predict(texts[:8])  # warm-up
    started = time.perf_counter()
    stage.predict(texts)
    batch_s = time.perf_counter() - started
    p50, p99 = single_text_ms(stage.predict, texts, args.latency_calls)
    print(f"python bench/complaint_stage_speed.py --n {args.n} --threads {args.threads}")
    print(f"load {load_s:.1f} s; batch {len(texts) / batch_s:.0f} texts/s on {args.threads} thread(s); "
          f"single text p50 {p50:.0f} ms, p99 {p99:.0f} ms; "
          f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
