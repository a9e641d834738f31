"""Evaluate a backend on labelled JSONL files: `python -m sentiment.evaluate [--data FILE.jsonl ...]`.

Without `--data` it scores every dev split under `--data-dir` (default ../shared/data or $FANGSIANG_DATA).
Gold labels are mapped onto the model's outputs by `corpora` (known dataset names) or by label spelling
(unknown files: pos/neg/neu/q, positive/negative/neutral/question, complaint/not_complaint). Prints per
dataset: n, accuracy, macro-F1, per-class F1, complaint F1 (where defined), ECE, texts/s, peak memory.
Forum files (the th-pantip-complaints record format) get `forum_eval`'s report: complaint F1, precision,
recall, ROC-AUC and ECE (10 bins) for topics, title-only topics and comments apart, 4-way sentiment and
escalation-cue recall and false hits.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from sentiment.calibrate import ece
from sentiment.cascade import predict_kinds
from sentiment.corpora import BY_NAME, COMPLAINT_SYNONYMS, KIND_OF, SENTIMENT_SYNONYMS, read_jsonl
from sentiment.forum_eval import evaluate_forum, format_forum, is_forum_file
from sentiment.types import Backend


def _f1(gold: np.ndarray, pred: np.ndarray, k) -> float:
    tp = np.sum((gold == k) & (pred == k))
    denom = np.sum(gold == k) + np.sum(pred == k)
    return float(2 * tp / denom) if denom else 0.0


def _targets(labels: list[str], dataset_name: str | None) -> tuple[list | None, list | None]:
    """Gold sentiment labels and gold complaint flags (None where the file does not define them)."""
    corpus = BY_NAME.get(dataset_name or "")
    if corpus is not None:
        mapped = [corpus.mapping[x] for x in labels]
        return (mapped, None) if corpus.head == "sentiment" else (None, mapped)
    if all(x in SENTIMENT_SYNONYMS for x in labels):
        return [SENTIMENT_SYNONYMS[x] for x in labels], None
    if all(x in COMPLAINT_SYNONYMS or x not in SENTIMENT_SYNONYMS for x in labels):
        return None, [COMPLAINT_SYNONYMS.get(x, 0) for x in labels]
    raise ValueError(f"cannot map labels {sorted(set(labels))} onto sentiment or complaint")


def _sentiment_metrics(backend: Backend, verdicts, gold: list[str]) -> dict:
    pred = np.array([v.label for v in verdicts])
    y = np.array(gold)
    present = [lab for lab in backend.labels if lab in set(gold)]
    per_class = {lab: _f1(y, pred, lab) for lab in present}
    conf = np.array([max(v.probs.values()) for v in verdicts])
    return {"accuracy": float(np.mean(pred == y)), "macro_f1": float(np.mean(list(per_class.values()))),
            "per_class_f1": per_class, "ece": ece(conf, pred == y)}


def _complaint_metrics(verdicts, gold: list[int]) -> dict:
    p = np.array([v.complaint for v in verdicts])
    y = np.array(gold)
    pred = (p >= 0.5).astype(int)
    f1_pos, f1_neg = _f1(y, pred, 1), _f1(y, pred, 0)
    conf = np.where(pred == 1, p, 1 - p)
    return {"accuracy": float(np.mean(pred == y)), "macro_f1": (f1_pos + f1_neg) / 2,
            "per_class_f1": {"complaint": f1_pos, "not_complaint": f1_neg}, "complaint_f1": f1_pos,
            "ece": ece(conf, pred == y)}


def evaluate_file(backend: Backend, path: str | Path, dataset_name: str | None = None,
                  batch_size: int = 256) -> dict:
    """Score one labelled JSONL file and return its metrics as a dict."""
    rows = list(read_jsonl(path))
    texts = [t for t, _ in rows]
    name = dataset_name or Path(path).parent.name
    sentiment_gold, complaint_gold = _targets([lab for _, lab in rows], name)
    started = time.perf_counter()
    kinds = [KIND_OF.get(name, "")] * batch_size  # the corpus's kind of text (call-centre, forum, social)
    verdicts = []
    for i in range(0, len(texts), batch_size):
        chunk = texts[i : i + batch_size]
        verdicts.extend(predict_kinds(backend, chunk, kinds[:len(chunk)]))
    elapsed = time.perf_counter() - started
    result: dict = {"dataset": name, "n": len(texts), "texts_per_s": len(texts) / elapsed if elapsed else 0.0,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if sentiment_gold is not None:
        result.update(_sentiment_metrics(backend, verdicts, sentiment_gold))
    if complaint_gold is not None:
        result.update(_complaint_metrics(verdicts, complaint_gold))
    return result


def format_row(r: dict) -> str:
    per = " ".join(f"{k}={v:.3f}" for k, v in r["per_class_f1"].items())
    comp = f"{r['complaint_f1']:.3f}" if "complaint_f1" in r else "-"
    return (f"{r['dataset']:<22} {r['n']:>6} {r['accuracy']:>6.3f} {r['macro_f1']:>6.3f} {comp:>6} "
            f"{r['ece']:>6.3f} {r['texts_per_s']:>7.0f} {r['peak_rss_mb']:>7.0f}  {per}")


HEADER = f"{'dataset':<22} {'n':>6} {'acc':>6} {'macroF1':>6} {'cF1':>6} {'ECE':>6} {'text/s':>7} {'RSS MB':>7}  per-class F1"


def main(argv: Sequence[str] | None = None, configured: Callable[[], Backend] | None = None) -> int:
    """Evaluate the caller's configured model (`configured` builds it), or the embedded model."""
    parser = argparse.ArgumentParser(prog="fangsiang eval", description="Evaluate a sentiment model on labelled JSONL.")
    parser.add_argument("--data", action="append", type=Path, help="a JSONL file to evaluate (repeatable)")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("FANGSIANG_DATA", "../shared/data")),
                        help="folder of <dataset>/dev.jsonl files, used when --data is not given")
    parser.add_argument("--model", default=None, help="model file for the embedded backend (default: shipped)")
    parser.add_argument("--embedded-only", action="store_true",
                        help="the embedded model alone, without config.yaml's second stage")
    args = parser.parse_args(argv)
    from sentiment import load_backend

    if configured is None or args.model or args.embedded_only:
        backend = load_backend("embedded", path=args.model)
    else:
        backend = configured()
    files = args.data or [args.data_dir / name / "dev.jsonl" for name in BY_NAME]
    print(f"model: {backend.name}")
    print(HEADER)
    forum = []
    for path in files:
        if not path.exists():
            print(f"{path}: missing", file=sys.stderr)
        elif is_forum_file(path):  # forum posts get their own report below (per kind, AUC, sentiment, cues)
            forum.append(path)
        else:
            print(format_row(evaluate_file(backend, path)), flush=True)
    for path in forum:
        print("\n".join(format_forum(evaluate_forum(backend, path))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
