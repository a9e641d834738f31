"""How a comment is shown to the model together with its thread: one text, the same in training, evaluation
and the daemon.

A comment read alone is often ambiguous ("ผมก็โดนครับ" — "me too"); a reader sees it under its topic's
title. The model sees the same: the title, a line break, then the comment — the layout a topic itself has
(title, line break, body). Reads no configuration.
"""

from __future__ import annotations


def in_thread(text: str, thread_title: str | None) -> str:
    """The text the model scores for a comment under `thread_title` (the comment alone when there is none)."""
    title = (thread_title or "").strip()
    return f"{title}\n{text}" if title else text
