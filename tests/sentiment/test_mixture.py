"""The mixture of domain experts turns gate and expert logits into one calibrated-ready score pair."""

from __future__ import annotations

import numpy as np

from sentiment.mixture import mix_scores

ENTRY = {"experts": 2, "gate": 4, "size": 2, "pooled_weight": 0.0, "offsets": [0.0, 0.0]}


def test_a_confident_gate_picks_its_expert() -> None:
    # pooled says nothing; expert 0 says positive, expert 1 negative; the gate is sure of domain 0, then 1.
    raw = np.array([[0.0, 0.0, 3.0, -3.0, 20.0, -20.0], [0.0, 0.0, 3.0, -3.0, -20.0, 20.0]])
    scores = mix_scores(raw, ENTRY)
    assert scores.shape == (2, 2)
    assert np.allclose(scores[:, 0], 0.0)
    assert np.allclose(scores[:, 1], [3.0, -3.0], atol=1e-6)


def test_pooled_share_and_offsets_apply() -> None:
    raw = np.array([[0.0, 2.0, 0.0, 0.0, 0.0, 0.0]])  # experts undecided, pooled positive
    alone = mix_scores(raw, {**ENTRY, "pooled_weight": 1.0})
    assert np.isclose(alone[0, 1], 2.0)
    half = mix_scores(raw, {**ENTRY, "pooled_weight": 0.5, "offsets": [0.0, 0.5]})
    p = 0.5 * 0.5 + 0.5 / (1 + np.exp(-2.0))
    assert np.isclose(half[0, 1], np.log(p / (1 - p)) + 0.5)
