"""Decision offsets, temperature / Platt scaling and calibration error; numpy only.

The linear heads are fitted on train splits. Their raw scores are then adjusted on the dev split in two
separate steps: per-class offsets move the decision boundary (rare classes such as `question` get a fair
share of predictions), then one temperature (multi-class) or a Platt pair (binary) turns scores into
probabilities whose confidence matches observed accuracy. ECE is measured with `ece` (15 equal-width bins).
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large scores."""
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: bin-weighted |accuracy - confidence| over equal-width bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def fit_offsets(scores: np.ndarray, y: np.ndarray, objective: Callable[[np.ndarray, np.ndarray], float],
                grid: np.ndarray | None = None, rounds: int = 2) -> np.ndarray:
    """Per-class additive offsets maximising `objective(y, argmax(scores + offsets))` by coordinate search."""
    grid = np.arange(-1.5, 1.51, 0.1) if grid is None else grid
    offsets = np.zeros(scores.shape[1])
    best = objective(y, np.argmax(scores, axis=1))
    for _ in range(rounds):
        for k in range(1, scores.shape[1]):  # class 0 stays the reference
            for value in grid:
                trial = offsets.copy()
                trial[k] = value
                got = objective(y, np.argmax(scores + trial, axis=1))
                if got > best + 1e-9:
                    best, offsets = got, trial
    return offsets


def fit_decision_shift(logits: np.ndarray, y: np.ndarray, limit: float = 1.0, tie: float = 0.005) -> float:
    """Shift of calibrated complaint logits that maximises F1 of `P >= 0.5` on dev.

    Alerts act on P(complaint) >= 0.5, and a well-calibrated score put there is not F1-optimal for a minority
    class. The shift is bounded and, among near-ties, the smallest one wins, to keep calibration mostly intact.
    """
    def f1(shift: float) -> float:
        pred = logits + shift >= 0
        return 2 * np.sum(pred & (y == 1)) / max(1, pred.sum() + np.sum(y == 1))

    grid = sorted(np.round(np.arange(-limit, limit + 1e-9, 0.05), 2), key=abs)
    scores = [f1(s) for s in grid]
    best = max(scores)
    return float(next(s for s, got in zip(grid, scores) if got >= best - tie))


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Temperature T minimising the negative log-likelihood of softmax(scores / T), by grid search."""
    temps = np.exp(np.linspace(np.log(0.05), np.log(20.0), 200))
    rows = np.arange(len(y))
    nll = [-np.log(softmax(scores / t)[rows, y] + 1e-12).mean() for t in temps]
    return float(temps[int(np.argmin(nll))])


def fit_complaint_calibration(scores: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Platt scaling of complaint scores, then the bounded F1 decision shift folded into its bias: (a, b, shift)."""
    a, b = fit_platt(scores, y)
    shift = fit_decision_shift(a * scores + b, y)
    return a, b + shift, shift


def f1_at_half(prob: np.ndarray, y: np.ndarray) -> float:
    """F1 of the positive class when `prob >= 0.5` is predicted positive."""
    pred = prob >= 0.5
    return float(2 * np.sum(pred & (y == 1)) / (pred.sum() + (y == 1).sum()))


def fit_platt(scores: np.ndarray, y: np.ndarray, steps: int = 500) -> tuple[float, float]:
    """(a, b) for P = sigmoid(a * score + b), fitted by Newton steps on the log-loss."""
    a, b = 1.0, 0.0
    for _ in range(steps):
        p = sigmoid(a * scores + b)
        g = np.array([np.sum((p - y) * scores), np.sum(p - y)])
        w = p * (1 - p) + 1e-9
        h = np.array([[np.sum(w * scores * scores), np.sum(w * scores)], [np.sum(w * scores), np.sum(w)]])
        step = np.linalg.solve(h + 1e-6 * np.eye(2), g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


def cross_validated_ece(fit: Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]],
                        scores: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    """ECE of a calibrator fitted on k-1 folds of dev and applied to the held-out fold, pooled over folds."""
    order = np.random.default_rng(seed).permutation(len(y))
    conf = np.zeros(len(y))
    correct = np.zeros(len(y))
    for part in np.array_split(order, folds):
        train = np.setdiff1d(order, part)
        probs = fit(scores[train], y[train])(scores[part])
        conf[part] = probs.max(axis=1)
        correct[part] = probs.argmax(axis=1) == y[part]
    return ece(conf, correct)
