"""Two backends in sequence: a fast one scores everything, a stronger one re-scores what the caller marks.

The daemon scores only posts that matched a watchlist, so the slow model's cost is paid only where an alert
could follow; `marked` lets other callers narrow it further. The second backend may answer `None` for a text it
does not cover (e.g. a stage for one language) and may score the complaint only (`labels == ()`): then the
first verdict's sentiment is kept and only `complaint` is merged. Config keys read: `weight` (share of the
second backend in the merged verdict, 0..1; or a mapping per language, e.g. `{en: 0.8, th: 0.5}`, where a
language not named keeps the first verdict); `sentiment_weight` (the same for the sentiment, where the second
backend gives one; default `weight`: a stage tuned on one forum may rank complaints better than it reads the
sentiment of other social text). A second verdict that names the kind of text it was trained on
(`Verdict.kind`, e.g. "forum") is merged only into first verdicts of the same kind (or of no stated kind): a
stage tuned on Pantip posts has nothing to say about call-centre speech.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

from sentiment.types import Backend, Verdict


class Cascade:
    """`predict(texts, marked)`: first backend for all, second for marked texts, probabilities merged by weight."""

    knows_kinds = True

    def __init__(self, first: Backend, second: Backend, weight: float | Mapping[str, float] = 0.5,
                 sentiment_weight: float | Mapping[str, float] | None = None) -> None:
        sentiment_weight = weight if sentiment_weight is None else sentiment_weight
        for shares in (weight, sentiment_weight):
            for w in shares.values() if isinstance(shares, Mapping) else [shares]:
                if not 0.0 <= w <= 1.0:
                    raise ValueError(f"cascade weight must be between 0 and 1, got {w}")
        self.first, self.second, self.weight, self.sentiment_weight = first, second, weight, sentiment_weight
        self.name = f"{first.name}+{second.name}"
        self.labels = tuple(dict.fromkeys(first.labels + second.labels))

    def predict(self, texts: Sequence[str], marked: Sequence[bool] | None = None,
                kinds: Sequence[str] | None = None) -> list[Verdict]:
        """Verdicts in order; every text is re-scored unless `marked` says otherwise; unmarked texts (and texts
        the second backend does not cover) keep the first backend's verdict unchanged. `kinds` (the kind of
        each text, see `predict_kinds`) goes to the first backend."""
        flags = list(marked) if marked is not None else [True] * len(texts)
        if len(flags) != len(texts):
            raise ValueError(f"marked has {len(flags)} flags for {len(texts)} texts")
        verdicts = predict_kinds(self.first, texts, kinds)
        picked = [i for i, flag in enumerate(flags) if flag and self._wanted(verdicts[i])]
        for i, again in zip(picked, self.second.predict([texts[i] for i in picked]) if picked else []):
            if again is not None:
                verdicts[i] = self._merge(verdicts[i], again)
        return verdicts

    def _wanted(self, first: Verdict) -> bool:
        """Whether the second backend's answer would be merged: its weight for the language is not 0 and, where
        the backend says which kind of text it learned (`kind_of(lang)`), the kind matches — so the costly
        stage never scores a text only to be ignored."""
        w = _share(self.weight, first.lang)
        kind_of = getattr(self.second, "kind_of", None)
        learned = kind_of(first.lang) if kind_of else ""
        return w > 0.0 and learned is not None and not (first.kind and learned and first.kind != learned)

    def _merge(self, a: Verdict, b: Verdict) -> Verdict:
        w, ws = _share(self.weight, a.lang), _share(self.sentiment_weight, a.lang)
        if w == 0.0 or (a.kind and b.kind and a.kind != b.kind):  # a stage judges only the kind it learned
            return a
        probs = a.probs
        if b.probs:  # a complaint-only stage leaves the sentiment alone
            probs = {k: (1 - ws) * a.probs.get(k, 0.0) + ws * b.probs.get(k, 0.0) for k in self.labels}
        return replace(
            a,
            label=max(probs, key=probs.__getitem__),
            probs=probs,
            complaint=(1 - w) * a.complaint + w * b.complaint,
            cues=tuple(dict.fromkeys(a.cues + b.cues)),
            model=f"{a.model}+{b.model}",
        )


def _share(weight: float | Mapping[str, float], lang: str) -> float:
    """The second backend's share for `lang`: one share for all, or the language's (0 where not named)."""
    return weight.get(lang, 0.0) if isinstance(weight, Mapping) else weight


def predict_kinds(backend: Backend, texts: Sequence[str], kinds: Sequence[str] | None) -> list[Verdict]:
    """`backend.predict(texts, kinds=...)` where the backend tells kinds of text apart (the embedded model and
    the cascade), plain `predict(texts)` for the others."""
    if kinds is not None and getattr(backend, "knows_kinds", False):
        return backend.predict(texts, kinds=kinds)
    return backend.predict(texts)
