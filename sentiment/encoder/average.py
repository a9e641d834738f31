"""Average complaint stages trained alike: `python -m sentiment.encoder.average --data DIR --out FILE A B ...`.

Runs of one recipe that differ only in their seed (the order of the batches and the head's start) end near the
same point of the base encoder, so the mean of their deltas and heads is one model of the same size that ranks
better than each run (a "model soup"; on th-pantip-complaints dev see MODEL_CARD.md) at the cost of one. The
mean is re-calibrated on the corpus's dev split exactly as `train_complaint` calibrates a single run. A file that
is itself a mean counts as the runs it holds (its header's `runs`), so a mean of means is the mean of all runs;
the header lists every run's seed and epochs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sentiment.encoder.complaint import Delta, E5Complaint, load_delta, save_delta
from sentiment.encoder.train_complaint import CORPORA, _rows, calibrate_on_dev


def runs_of(delta: Delta) -> list[dict]:
    """The training runs a file holds: its header's `runs` (a mean), `seeds` (a mean written before `runs`
    were recorded), or the one run it is."""
    header = delta.header
    if "runs" in header:
        return list(header["runs"])
    if "seeds" in header:
        return [{"seed": s, "epochs": header.get("epochs")} for s in header["seeds"]]
    return [{"seed": header.get("seed"), "epochs": header.get("epochs")}]


def average(deltas: list[Delta]) -> tuple[dict[str, np.ndarray], np.ndarray, float | np.ndarray]:
    """Mean over the runs the files hold (a file that is a mean of k runs weighs k) of the tuned tensors and of
    the heads; the files must tune the same parameters."""
    names = set(deltas[0].deltas)
    for d in deltas[1:]:
        if set(d.deltas) != names:
            raise ValueError("the files tune different parameters: only runs of one recipe can be averaged")
    weights = [len(runs_of(d)) for d in deltas]
    mean = {n: np.average([d.deltas[n] for d in deltas], axis=0, weights=weights) for n in sorted(names)}
    bias = np.average([np.asarray(d.head_b) for d in deltas], axis=0, weights=weights)
    head_w = np.average([d.head_w for d in deltas], axis=0, weights=weights)
    return mean, head_w, float(bias) if bias.ndim == 0 else bias


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
    header = {**{k: v for k, v in first.items() if k not in ("format", "dev", "seed", "seeds", "epochs", "runs")},
              "platt": [1.0, 0.0], "runs": [run for r in runs for run in runs_of(r)]}
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
