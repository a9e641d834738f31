"""Fitting the linear heads and their vocabularies (training only: the one home of scikit-learn and of
scipy, never loaded at inference time).

Heads are one-vs-rest logistic regressions (liblinear: deterministic); `fit_mixture` fits the expert heads
and the domain gate of `sentiment.mixture`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.sparse import vstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


def tfidf_vectorizer(**options: Any) -> TfidfVectorizer:
    """The TF-IDF vocabulary fitter used for every head (options as scikit-learn's TfidfVectorizer)."""
    return TfidfVectorizer(**options)


def stack_rows(*matrices: Any) -> Any:
    """The rows of several sparse feature matrices (same columns) as one matrix."""
    return vstack(matrices).tocsr()


def nb_ratio(x, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Log-count ratio of each feature between positive and negative rows (smoothed by `alpha`)."""
    pos = np.asarray(x[y == 1].sum(axis=0)).ravel() + alpha
    neg = np.asarray(x[y == 0].sum(axis=0)).ravel() + alpha
    return np.log((pos / pos.sum()) / (neg / neg.sum()))


def fit_linear(x, y: np.ndarray, n_classes: int, c: float, sample_weight: np.ndarray | None = None,
               balanced: bool = False, nb: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression; returns W (features x classes) and b (classes).

    A binary task gets a zero column for class 0, so softmax over the two columns equals the sigmoid.
    With `nb`, each head is fitted on NB-scaled features x * r; since x . (r * w) = (x * r) . w, the
    scaling folds into the stored weights and costs nothing at inference.
    """
    weights = np.zeros((x.shape[1], n_classes), dtype=np.float64)
    bias = np.zeros(n_classes)
    targets = [1] if n_classes == 2 else range(n_classes)
    for k in targets:
        yk = (y == k).astype(int)
        ratio = nb_ratio(x, yk) if nb else np.ones(x.shape[1])
        model = LogisticRegression(solver="liblinear", C=c, max_iter=1000, random_state=0,
                                   class_weight="balanced" if balanced else None)
        model.fit(x.multiply(ratio).tocsr() if nb else x, yk, sample_weight=sample_weight)
        weights[:, k] = model.coef_[0] * ratio
        bias[k] = model.intercept_[0]
    return weights, bias


def fit_mixture(x, y: np.ndarray, domain: np.ndarray, c_expert: list[float], c_gate: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Expert logits (one binary head per domain, on its rows, C = `c_expert[domain]`), then gate logits.

    Returns W (features x 2 * domains) and b, in the column order `mixture.mix_scores` expects.
    """
    n_domains = int(domain.max()) + 1
    columns, bias = [], []
    for d in range(n_domains):
        w, b = fit_linear(x[domain == d], y[domain == d], 2, c_expert[d])
        columns.append(w[:, 1])
        bias.append(b[1])
    w, b = fit_linear(x, domain, n_domains, c_gate)
    return np.column_stack(columns + [w]), np.concatenate([bias, b])
