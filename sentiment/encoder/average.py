"""Average complaint stages trained alike: `python -m sentiment.encoder.average --data DIR --out FILE A B ...`.

Runs of one recipe that differ only in their seed (the order of the batches and the head's start) end near the
same point of the base encoder, so the mean of their deltas and heads is one model of the same size that ranks
better than each run (a "model soup"; on th-pantip-complaints dev see MODEL_CARD.md) at the cost of one. The
mean is re-calibrated on the corpus's dev split exactly as `train_complaint` calibrates a single run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sentiment.encoder.complaint import Delta, E5Complaint, load_delta, save_delta
from sentiment.encoder.train_complaint import CORPORA, _rows, calibrate_on_dev


def average(deltas: list[Delta]) -> tuple[dict[str, np.ndarray], np.ndarray, float | np.ndarray]:
    """Mean of the tuned tensors and of the heads; the files must tune the same parameters."""
    names = set(deltas[0].deltas)
    for d in deltas[1:]:
        if set(d.deltas) != names:
            raise ValueError("the files tune different parameters: only runs of one recipe can be averaged")
    mean = {n: np.mean([d.deltas[n] for d in deltas], axis=0) for n in sorted(names)}
    bias = np.mean([np.asarray(d.head_b) for d in deltas], axis=0)
    return mean, np.mean([d.head_w for d in deltas], axis=0), float(bias) if bias.ndim == 0 else bias


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sentiment.encoder.average", description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+", help="weights files written by train_complaint")
    parser.add_argument("--data", type=Path, required=True, help="folder with <corpus>/{train,dev}.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="the averaged .safetensors file")
    parser.add_argument("--lang", choices=sorted(CORPORA), default="th", help="the files' corpus (default th)")
    args = parser.parse_args(argv)
    runs = [load_delta(f) for f in args.files]
    deltas, head_w, head_b = average(runs)
    first = runs[0].header
    header = {**{k: v for k, v in first.items() if k not in ("format", "dev", "seed")}, "platt": [1.0, 0.0],
              "seeds": [r.header.get("seed") for r in runs]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_delta(args.out, deltas, head_w, head_b, header)  # uncalibrated first: dev is scored from the file
    stage = E5Complaint.from_options(weights=str(args.out), max_length=int(first.get("max_length", 128)))
    corpus, positive, _ = CORPORA[args.lang]
    dev_texts, dev_y = _rows(args.data, corpus, positive, "dev")
    a, b, figures = calibrate_on_dev(stage, dev_texts, dev_y, args.lang.split("-")[0], print)
    save_delta(args.out, deltas, head_w, head_b, {**header, "platt": [a, b], "dev": figures})
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) from {len(runs)} runs")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
