"""Mixtures of domain experts: a binary sentiment head (Chinese reviews) and a complaint head (Thai
call-centre speech and forum posts, `mix_complaint`); numpy only.

The Chinese corpora come from three domains (hotel/book/laptop reviews, food delivery, e-commerce) whose
words of praise and blame differ ("送餐慢" is damning for a delivery, meaningless for a hotel). Besides the
pooled head, the model then stores one expert head per training corpus and a gate (which corpus a text looks
like). P(positive) is the gate-weighted mix of the experts' probabilities, blended with the pooled head's
probability; its log-odds replace the pooled head's scores, so offsets and temperature apply as for any head.

Layout of the raw score columns of such a language: the pooled sentiment columns first, then `size` expert
logits starting at column `experts`, then `size` gate logits starting at column `gate`.
"""

from __future__ import annotations

import numpy as np


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mix_scores(raw: np.ndarray, entry: dict) -> np.ndarray:
    """Two-class scores [0, log-odds of the mixed P(positive)] plus the dev-fitted offsets.

    `entry` holds the column layout (`experts`, `gate`, `size`), `pooled_weight` and `offsets`.
    """
    size, e0, g0 = entry["size"], entry["experts"], entry["gate"]
    p_pooled = _softmax(raw[:, :2])[:, 1]
    p_experts = 1.0 / (1.0 + np.exp(-np.clip(raw[:, e0 : e0 + size], -40, 40)))
    gate = _softmax(raw[:, g0 : g0 + size])
    alpha = entry["pooled_weight"]
    p = (1.0 - alpha) * (gate * p_experts).sum(axis=1) + alpha * p_pooled
    p = np.clip(p, 1e-7, 1 - 1e-7)
    scores = np.zeros((len(raw), 2))
    scores[:, 1] = np.log(p / (1.0 - p))
    return scores + np.asarray(entry.get("offsets", (0.0, 0.0)))


def mix_complaint(raw: np.ndarray, entry: dict, known: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """P(complaint) of a language with one complaint expert per kind of text, and the kind used, per text.

    Where the caller knows a text's kind (`known[i]` >= 0: the daemon knows it reads forums, an evaluation knows
    its corpus) that kind's expert answers alone; otherwise the gate guesses the kind from the words and the
    experts' Platt-calibrated probabilities are mixed by the gate. `entry` holds `experts`, `gate`, `size` and
    `platt` (one pair per expert).
    """
    size, e0, g0 = entry["size"], entry["experts"], entry["gate"]
    a, b = np.asarray(entry["platt"], dtype=np.float64).T
    p_experts = 1.0 / (1.0 + np.exp(-np.clip(raw[:, e0:e0 + size] * a + b, -40, 40)))
    gate = _softmax(raw[:, g0:g0 + size])
    told = np.asarray(known if known is not None else [-1] * len(raw), dtype=np.int64)
    gate[told >= 0] = np.eye(size)[told[told >= 0]]
    return (gate * p_experts).sum(axis=1), gate.argmax(axis=1)
