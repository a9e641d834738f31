"""Averaging complaint stages of one recipe: the mean of their deltas and heads, written in the shipped format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("safetensors")

from sentiment.encoder.average import average, runs_of  # noqa: E402
from sentiment.encoder.complaint import load_delta, save_delta  # noqa: E402

NAME = "encoder.layer.11.output.dense.weight"


def _run(tmp_path: Path, seed: int, names: tuple[str, ...] = (NAME,), epochs: int = 4) -> Path:
    rng = np.random.default_rng(seed)
    path = tmp_path / f"run{seed}.safetensors"
    save_delta(path, {n: rng.normal(0, 0.01, size=(8, 16)).astype(np.float32) for n in names},
               rng.normal(size=16).astype(np.float32), float(seed),
               {"seed": seed, "epochs": epochs, "languages": ["th"]})
    return path


def test_the_average_of_two_runs_is_the_mean_of_their_layers_and_heads(tmp_path: Path) -> None:
    a, b = load_delta(_run(tmp_path, 1)), load_delta(_run(tmp_path, 2))
    deltas, head_w, head_b = average([a, b])
    assert np.allclose(deltas[NAME], (a.deltas[NAME] + b.deltas[NAME]) / 2)
    assert np.allclose(head_w, (a.head_w + b.head_w) / 2) and head_b == pytest.approx(1.5)
    out = tmp_path / "mean.safetensors"
    save_delta(out, deltas, head_w, head_b, {"languages": ["th"], "seeds": [1, 2]})
    back = load_delta(out)  # still one int8 file of the shipped format
    assert np.max(np.abs(back.deltas[NAME] - deltas[NAME])) < 1e-3 and back.header["seeds"] == [1, 2]


def test_a_mean_of_means_weighs_each_file_by_the_runs_it_holds(tmp_path: Path) -> None:
    one, two, three = (load_delta(_run(tmp_path, s, epochs=4 if s < 3 else 6)) for s in (1, 2, 3))
    deltas, head_w, head_b = average([one, two])
    pair = tmp_path / "pair.safetensors"
    save_delta(pair, deltas, head_w, head_b, {"languages": ["th"], "runs": runs_of(one) + runs_of(two)})
    deltas, head_w, head_b = average([load_delta(pair), three])  # the pair counts twice: a mean of three runs
    assert np.allclose(deltas[NAME], (one.deltas[NAME] + two.deltas[NAME] + three.deltas[NAME]) / 3, atol=1e-3)
    assert head_b == pytest.approx(2.0, abs=1e-3)
    assert runs_of(load_delta(pair)) + runs_of(three) == [
        {"seed": 1, "epochs": 4}, {"seed": 2, "epochs": 4}, {"seed": 3, "epochs": 6}]


def test_a_mean_written_before_runs_were_recorded_counts_its_seeds(tmp_path: Path) -> None:
    save_delta(tmp_path / "old.safetensors", {NAME: np.zeros((8, 16), np.float32)}, np.zeros(16, np.float32), 0.0,
               {"languages": ["th"], "seeds": [0, 1], "epochs": 4})
    assert runs_of(load_delta(tmp_path / "old.safetensors")) == [{"seed": 0, "epochs": 4}, {"seed": 1, "epochs": 4}]


def test_runs_that_tune_different_layers_are_refused(tmp_path: Path) -> None:
    a = load_delta(_run(tmp_path, 1))
    b = load_delta(_run(tmp_path, 2, names=(NAME, "encoder.layer.7.output.dense.weight")))
    with pytest.raises(ValueError, match="different parameters"):
        average([a, b])
