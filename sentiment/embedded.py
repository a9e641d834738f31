"""The embedded default model: per-language linear heads over TF-IDF n-grams, numpy only.

Loads `sentiment/data/model.npz` (or a path given in config as `path`), written by `sentiment.train`, with
`numpy.load(allow_pickle=False)`: a JSON header plus plain arrays, so loading a model file can never run code.
Scoring a batch: detect each text's language, normalise, extract n-grams, look them up in that language's
vocabulary, weight by sublinear TF-IDF with L2 norm (as in training), multiply by the head weights, then apply
the calibration stored in the header. Config keys (`from_options`): `path`, `cues` (extra escalation phrases
per language).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from sentiment import mixture
from sentiment.cues import CueFinder
from sentiment.features import FeatureConfig, batch_char_keys, gram_keys, word_grams
from sentiment.lang import detect
from sentiment.normalize import normalize
from sentiment.types import Verdict

DEFAULT_PATH = Path(__file__).with_name("data") / "model.npz"
EXPECTED_FORMAT = "fangsiang-linear-1"


@dataclass
class _LangHead:
    """Vocabulary, weights and calibration of one language."""

    char_keys: np.ndarray  # sorted 64-bit keys of the character n-grams in the vocabulary (features.gram_keys)
    char_cols: np.ndarray  # column of each key
    word_vocab: dict[str, int]  # word uni/bigram feature -> column
    idf: np.ndarray
    weights: np.ndarray  # features x (sentiment classes [+ complaint])
    bias: np.ndarray
    features: FeatureConfig
    class_index: np.ndarray  # position of each head class in the model's label list
    temperature: float
    complaint_column: int | None
    platt: tuple[float, float]
    mixture: dict | None = None  # column layout of the domain experts and gate (`sentiment.mixture`)
    complaint_mixture: dict | None = None  # complaint experts per kind of text and their gate

    def _feature_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every known feature occurrence in the batch, repeats included."""
        cfg = self.features
        rows, keys = batch_char_keys(list(texts), cfg.char_min, cfg.char_max)
        pos = np.minimum(np.searchsorted(self.char_keys, keys), len(self.char_keys) - 1)
        hit = self.char_keys[pos] == keys
        rows, ids = rows[hit], self.char_cols[pos[hit]]
        if not cfg.use_words:
            return rows, ids
        get = self.word_vocab.get
        grams = (word_grams(t.lower(), cfg.word_max, cfg.chinese_words) for t in texts)
        found = [[i for i in map(get, g) if i is not None] for g in grams]
        word_rows = np.repeat(np.arange(len(texts)), [len(f) for f in found])
        word_ids = np.fromiter((i for f in found for i in f), dtype=np.int64, count=len(word_rows))
        return np.concatenate([rows, word_rows]), np.concatenate([ids, word_ids])

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear scores (one row per normalised text), the whole batch in a few numpy operations.

        Counting, sublinear TF-IDF, L2 norms and the weight product run over the concatenated batch, so
        Python does no per-n-gram work except for the (few) word features.
        """
        out = np.tile(self.bias, (len(texts), 1))
        rows, ids = self._feature_ids(texts)
        if not len(ids):
            return out
        size = len(self.idf)
        keys, tf = np.unique(rows * size + ids, return_counts=True)
        rows, ids = keys // size, keys % size
        vals = (1.0 + np.log(tf, dtype=np.float32)) * self.idf[ids]
        vals /= np.sqrt(np.bincount(rows, vals * vals))[rows].astype(np.float32)
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])  # keys are sorted, so rows are grouped
        out[rows[starts]] += np.add.reduceat(vals[:, None] * self.weights[ids], starts, axis=0)
        return out


def _load_head(archive: Mapping[str, np.ndarray], lang: str, entry: dict, labels: list[str]) -> _LangHead:
    grams = archive[f"{lang}_vocab"].tobytes().decode("utf-8").split("\n")
    is_word = np.array([g.startswith("\x01") for g in grams], dtype=bool)
    char_cols = np.flatnonzero(~is_word)
    keys = gram_keys([grams[i] for i in char_cols])
    order = np.argsort(keys)
    complaint = entry["complaint"]
    if entry["features"].get("chinese_words"):
        # jieba reads its dictionary (about a second) on first use: pay that at load, not on the first Chinese post.
        word_grams("预热", 1, chinese=True)
    return _LangHead(
        char_keys=keys[order],
        char_cols=char_cols[order],
        word_vocab={grams[i]: int(i) for i in np.flatnonzero(is_word)},
        idf=archive[f"{lang}_idf"].astype(np.float32),
        weights=archive[f"{lang}_w"].astype(np.float32),
        bias=archive[f"{lang}_b"].astype(np.float64),
        features=FeatureConfig(**entry["features"]),
        class_index=np.array([labels.index(c) for c in entry["classes"]]),
        temperature=float(entry["temperature"]),
        complaint_column=complaint.get("column"),
        platt=tuple(complaint.get("platt", (1.0, 0.0))),
        mixture=entry.get("mixture"),
        complaint_mixture=complaint if "experts" in complaint else None,
    )


class EmbeddedModel:
    """Backend that ships with the package: fast, offline, Thai/English/Chinese."""

    knows_kinds = True  # predict() takes `kinds` (see `sentiment.cascade.predict_kinds`)

    def __init__(self, header: dict, heads: dict[str, _LangHead], cues: CueFinder) -> None:
        self.labels: tuple[str, ...] = tuple(header["labels"])
        self.name = f"{header['name']}@{header['version']}"
        self.header = header
        self._heads = heads
        self._fallback = header["fallback"]
        self._cues = cues

    @classmethod
    def load(cls, path: str | Path | None = None, cues: Mapping[str, Sequence[str]] | None = None) -> "EmbeddedModel":
        """Read a model file (default: the shipped one) without pickle."""
        with np.load(Path(path) if path else DEFAULT_PATH, allow_pickle=False) as archive:
            header = json.loads(archive["header"].tobytes().decode("utf-8"))
            if header.get("format") != EXPECTED_FORMAT:
                raise ValueError(f"unsupported model format {header.get('format')!r}, expected {EXPECTED_FORMAT}")
            heads = {lang: _load_head(archive, lang, entry, header["labels"]) for lang, entry in header["langs"].items()}
        return cls(header, heads, CueFinder(cues))

    @classmethod
    def from_options(cls, path: str | None = None, cues: dict[str, list[str]] | None = None) -> "EmbeddedModel":
        """Constructor used by `sentiment.load_backend("embedded", **options)`."""
        return cls.load(path, cues)

    def head_for(self, lang: str) -> str:
        """The language whose heads score texts detected as `lang` ("und" and missing ones use the fallback)."""
        return lang if lang in self._heads else self._fallback

    def predict(self, texts: Sequence[str], kinds: Sequence[str] | None = None) -> list[Verdict]:
        """Score a batch; one Verdict per text, in order. `kinds` tells what kind of text each one is ("forum",
        "call-centre", or "" for unknown): a language with a complaint expert per kind then uses that expert
        alone, instead of the gate's guess from the words."""
        norm = [normalize(t) for t in texts]
        langs = [detect(t) for t in norm]
        given = list(kinds) if kinds is not None else [""] * len(texts)
        probs = np.zeros((len(texts), len(self.labels)))
        complaint = np.zeros(len(texts))
        kinds = [""] * len(texts)
        for lang in {self.head_for(x) for x in langs}:
            rows = [i for i, x in enumerate(langs) if self.head_for(x) == lang]
            p, c, k = self._score(self._heads[lang], [norm[i] for i in rows], [given[i] for i in rows])
            probs[rows] = p
            complaint[rows] = c
            for i, kind in zip(rows, k):
                kinds[i] = kind
        return [self._verdict(lang, p, c, n, k) for lang, p, c, n, k in zip(langs, probs, complaint, norm, kinds)]

    def _score(self, head: _LangHead, texts: list[str], given: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        raw = head.scores(texts)
        k = len(head.class_index)
        sub = (mixture.mix_scores(raw, head.mixture) if head.mixture else raw[:, :k]) / head.temperature
        sub = np.exp(sub - sub.max(axis=1, keepdims=True))
        sub /= sub.sum(axis=1, keepdims=True)
        probs = np.zeros((len(texts), len(self.labels)))
        probs[:, head.class_index] = sub
        kinds = [""] * len(texts)
        if head.complaint_mixture is not None:
            names = list(head.complaint_mixture.get("kinds", []))
            complaint, which = mixture.mix_complaint(raw, head.complaint_mixture,
                                                     [names.index(k) if k in names else -1 for k in given])
            kinds = [names[i] if i < len(names) else "" for i in which]
        elif head.complaint_column is not None:
            a, b = head.platt
            complaint = 1.0 / (1.0 + np.exp(-(a * raw[:, head.complaint_column] + b)))
        else:  # no complaint data for this language: the calibrated probability of a negative review
            complaint = probs[:, self.labels.index("negative")]
        return probs, complaint, kinds

    def _verdict(self, lang: str, probs: np.ndarray, complaint: float, norm: str, kind: str) -> Verdict:
        as_dict = {label: float(p) for label, p in zip(self.labels, probs)}
        return Verdict(lang=lang, label=self.labels[int(np.argmax(probs))], probs=as_dict,
                       complaint=float(complaint), cues=self._cues.find_normalized(norm), model=self.name, kind=kind)
