"""Evaluation on labelled forum posts (the `th-pantip-complaints` record format): complaint detection for
topics, comments and title-only topics apart, ROC-AUC, calibration, 4-way sentiment and escalation cues.

A record holds `text`, `label` (complaint | not_complaint), `sentiment`, `escalation`, `kind` (topic |
comment) and, for a comment, `thread_title`. Comments are judged with their thread's title as in the daemon
(`context.predict_in_threads`) unless `context=False`. A topic whose text has no line break is title-only (the source kept its title alone).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from sentiment.calibrate import ece
from sentiment.context import predict_in_threads
from sentiment.cues import CueFinder
from sentiment.types import Backend

SENTIMENTS = ("negative", "neutral", "positive", "question")


def is_forum_file(path: str | Path) -> bool:
    """Whether the first record of a JSONL file has the forum fields (`kind`, `sentiment`, `escalation`)."""
    with open(path, encoding="utf-8") as fh:
        first = json.loads(fh.readline() or "{}")
    return {"kind", "sentiment", "escalation"} <= set(first)


def roc_auc(score: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative (ties count half)."""
    pos, neg = score[y == 1], score[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    joined = np.concatenate([pos, neg])
    for value in np.unique(joined):  # average ranks of ties
        tied = joined == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _complaint(p: np.ndarray, y: np.ndarray) -> dict:
    pred = p >= 0.5
    tp = int(np.sum(pred & (y == 1)))
    f1 = 2 * tp / max(1, int(pred.sum()) + int(y.sum()))
    conf = np.where(pred, p, 1 - p)
    return {"n": int(len(y)), "complaints": int(y.sum()), "complaint_f1": f1,
            "precision": tp / max(1, int(pred.sum())), "recall": tp / max(1, int(y.sum())),
            "auc": roc_auc(p, y), "ece10": ece(conf, pred == (y == 1), bins=10)}


def evaluate_forum(backend: Backend, path: str | Path, *, context: bool = True, batch_size: int = 256,
                   cues: CueFinder | None = None) -> dict:
    """Scores a forum file; returns overall and per-kind complaint figures, sentiment and escalation."""
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    texts = [r["text"] for r in rows]
    titles = [r.get("thread_title") if context and r["kind"] == "comment" else None for r in rows]
    verdicts = [v for i in range(0, len(texts), batch_size)
                for v in predict_in_threads(backend, texts[i:i + batch_size], titles[i:i + batch_size],
                                            ["forum"] * len(texts[i:i + batch_size]))]
    p = np.array([v.complaint for v in verdicts])
    y = np.array([int(r["label"] == "complaint") for r in rows])
    groups = {"topics": [r["kind"] == "topic" and "\n" in r["text"] for r in rows],
              "title-only": [r["kind"] == "topic" and "\n" not in r["text"] for r in rows],
              "comments": [r["kind"] == "comment" for r in rows]}
    result = {"dataset": Path(path).parent.name, "all": _complaint(p, y)}
    result.update({name: _complaint(p[np.array(mask)], y[np.array(mask)]) for name, mask in groups.items()})
    result["sentiment"] = _sentiment(verdicts, [r["sentiment"] for r in rows])
    result["escalation"] = _escalation(cues or CueFinder(), rows)
    return result


def _sentiment(verdicts: Sequence, gold: list[str]) -> dict:
    pred = np.array([v.label for v in verdicts])
    y = np.array(gold)
    f1 = {k: 2 * np.sum((pred == k) & (y == k)) / max(1, np.sum(pred == k) + np.sum(y == k)) for k in SENTIMENTS}
    return {"accuracy": float(np.mean(pred == y)), "macro_f1": float(np.mean(list(f1.values()))),
            "per_class_f1": {k: float(v) for k, v in f1.items()},
            "predicted": {k: int(np.sum(pred == k)) for k in SENTIMENTS}}


def _escalation(cues: CueFinder, rows: list[dict]) -> dict:
    hits = np.array([bool(cues.find(r["text"])) for r in rows])
    gold = np.array([bool(r["escalation"]) for r in rows])
    return {"escalations": int(gold.sum()), "found": int(np.sum(hits & gold)),
            "false_hits": int(np.sum(hits & ~gold)), "others": int(np.sum(~gold))}


def format_forum(r: dict) -> list[str]:
    """Readable lines for `fangsiang eval`."""
    lines = [f"{r['dataset']}: complaint at P>=0.5 (F1 / precision / recall / ROC-AUC / ECE 10 bins)"]
    for name in ("all", "topics", "title-only", "comments"):
        c = r[name]
        lines.append(f"  {name:<11} n={c['n']:>4} complaints={c['complaints']:>3}  F1 {c['complaint_f1']:.3f}  "
                     f"P {c['precision']:.3f}  R {c['recall']:.3f}  AUC {c['auc']:.3f}  ECE {c['ece10']:.3f}")
    s = r["sentiment"]
    lines.append(f"  sentiment 4-way: acc {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}  " +
                 " ".join(f"{k}={v:.3f}" for k, v in s["per_class_f1"].items()) +
                 f"  predicted {s['predicted']}")
    e = r["escalation"]
    lines.append(f"  escalation cues: found {e['found']}/{e['escalations']}, false hits {e['false_hits']}/{e['others']}")
    return lines
