"""Speed of the embedded model on one core: batch texts/s, single-text p50/p99 latency, load time, memory.

Run as `OMP_NUM_THREADS=1 taskset -c 0 python bench/score_speed.py [--data FILE.jsonl] [--n 3000]`.
The default texts are an equal mix of the Thai, English and Chinese dev splits, so every head is timed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from sentiment.corpora import read_jsonl  # noqa: E402
from sentiment.embedded import EmbeddedModel  # noqa: E402

MIX = ("th-wisesight", "en-airline", "zh-online-shopping")


def sample_texts(data_dir: Path, files: list[Path] | None, n: int) -> list[str]:
    paths = files or [data_dir / name / "dev.jsonl" for name in MIX]
    per = n // len(paths)
    texts: list[str] = []
    for path in paths:
        texts.extend(t for t, _ in list(read_jsonl(path))[:per])
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", type=Path, help="JSONL file(s) to time on")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("FANGSIANG_DATA", "../shared/data")))
    parser.add_argument("--model", default=None)
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args(argv)
    texts = sample_texts(args.data_dir, args.data, args.n)

    # Timings run without tracemalloc (it slows Python several-fold); memory is measured in a second pass.
    started = time.perf_counter()
    model = EmbeddedModel.load(args.model)
    load_s = time.perf_counter() - started
    model.predict(texts[:50])  # warm the tokenizer dictionaries
    started = time.perf_counter()
    for i in range(0, len(texts), 256):
        model.predict(texts[i : i + 256])
    batch_rate = len(texts) / (time.perf_counter() - started)
    tracemalloc.start()
    model = EmbeddedModel.load(args.model)
    _, load_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    model.predict(texts[:256])
    _, score_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    latencies = []
    for text in texts[:1000]:
        t0 = time.perf_counter()
        model.predict([text])
        latencies.append((time.perf_counter() - t0) * 1000)
    p50, p99 = np.percentile(latencies, [50, 99])
    print(f"model {model.name}; {len(texts)} texts ({', '.join(str(p) for p in (args.data or MIX))})")
    print(f"load time {load_s:.2f} s; batch {batch_rate:,.0f} texts/s on one core; "
          f"single text p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"peak traced memory: load {load_peak / 1e6:.0f} MB, scoring a batch of 256 {score_peak / 1e6:.0f} MB; "
          f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("reproduce: OMP_NUM_THREADS=1 taskset -c 0 python bench/score_speed.py " + " ".join(argv or sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
