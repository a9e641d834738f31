"""How a comment is judged together with its thread, the same in evaluation, `fangsiang score` and the daemon.

A comment read alone is often ambiguous ("ผมก็โดนครับ" — "me too"); a reader sees it under its topic's title.
Read under a complaint's title, though, even "works fine for me" looks like part of the complaint. So a comment
is scored twice — alone, and as its thread's title, a line break, then the comment (the layout a topic has:
title, line break, body) — and its complaint probability is the geometric mean of the two, so both readings
must lean towards a complaint; its sentiment and cues are the comment's own. On th-pantip-complaints dev
comments this scored complaint F1 0.545 with the single-seed stage (alone 0.429, in the thread only 0.500;
the plain mean also 0.545, but it let "works fine for me" under a complaint through). Reads no configuration.
"""

from __future__ import annotations

from dataclasses import replace
from math import sqrt
from typing import Sequence

from sentiment.cascade import predict_kinds
from sentiment.types import Backend, Verdict


def in_thread(text: str, thread_title: str | None) -> str:
    """A comment laid out under its thread's title (the comment alone when there is no title)."""
    title = (thread_title or "").strip()
    return f"{title}\n{text}" if title else text


def predict_in_threads(backend: Backend, texts: Sequence[str], titles: Sequence[str | None],
                       kinds: Sequence[str] | None = None) -> list[Verdict]:
    """Verdicts for texts of which some are comments (`titles[i]` is then their thread's title, else None)."""
    texts = list(texts)
    verdicts = predict_kinds(backend, texts, kinds)
    comments = [i for i, title in enumerate(titles) if title and title.strip()]
    if comments:
        framed = predict_kinds(backend, [in_thread(texts[i], titles[i]) for i in comments],
                               [kinds[i] for i in comments] if kinds is not None else None)
        for i, seen in zip(comments, framed):
            verdicts[i] = replace(verdicts[i], complaint=sqrt(verdicts[i].complaint * seen.complaint))
    return verdicts
