"""Make what a source sent storable on every backend, so one bad post never blinds its source.

A lone UTF-16 surrogate (`\\ud800`, as a JSON API may send it) cannot be encoded for SQLite, a NUL
(`\\u0000`) is refused by PostgreSQL text and JSON columns, and a counter of 1e20 fits no integer column.
`clean_post` replaces such characters with U+FFFD, shortens display fields to their columns, clamps
counters, and raises `Unstorable` (with the reason, for the `rejected_posts` table) only when the post
cannot be kept without changing what identifies it. `clean_json` does the same for cursors. Reads no
config keys.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields, replace
from datetime import timezone
from typing import Any

from scrapers.base import Engagement, Post

ID_CHARS = 300  # posts.external_id / thread_id / parent_id
AUTHOR_CHARS = 300
LANG_CHARS = 10
COUNTER_MAX = 2**31 - 1  # snapshot counters are INTEGER columns (32-bit on PostgreSQL)
REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Unstorable(ValueError):
    """The post cannot be stored as it is and cannot be cleaned without changing its identity."""


def clean_text(value: str) -> str:
    """`value` with NUL and lone surrogates replaced by U+FFFD (a split surrogate pair is joined)."""
    if not _UNSTORABLE.search(value):
        return value
    # Through UTF-16, a high+low surrogate pair becomes its one character and a lone half becomes U+FFFD.
    joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.replace("\x00", REPLACEMENT)


def clean_json(value: Any) -> Any:
    """A JSON value (a cursor) with every string cleaned and non-finite numbers, which JSON lacks, as null."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def clean_post(post: Post) -> Post:
    """The storable form of `post` (the same object when nothing needed changing), or `Unstorable`."""
    for name in ("external_id", "thread_id", "parent_id"):
        ident = getattr(post, name)
        if ident is not None and len(ident) > ID_CHARS:
            raise Unstorable(f"{name} is {len(ident)} characters; ids of at most {ID_CHARS} are stored")
    try:  # what the UTC column does on every write; year 1 at UTC+7 has no UTC form
        for moment in (post.posted_at, post.read_at):  # read_at is None until the listener stamps it
            if moment is not None:
                moment.astimezone(timezone.utc)
    except (OverflowError, ValueError) as exc:
        raise Unstorable(f"time out of range: {exc}") from exc
    changes: dict[str, Any] = {}
    for name in ("external_id", "thread_id", "parent_id", "url", "title", "text", "author", "lang", "raw_ref"):
        value = getattr(post, name)
        if value is not None and value != (cleaned := clean_text(value)):
            changes[name] = cleaned
    author = changes.get("author", post.author)
    if len(author) > AUTHOR_CHARS:
        changes["author"] = author[: AUTHOR_CHARS - 1] + "…"
    lang = changes.get("lang", post.lang)
    if lang is not None and len(lang) > LANG_CHARS:
        changes["lang"] = None  # not a language code: the model detects the language instead
    tags = tuple(clean_text(str(t)) for t in post.tags)
    if tags != post.tags:
        changes["tags"] = tags
    if (engagement := _clamped(post.engagement)) is not post.engagement:
        changes["engagement"] = engagement
    return replace(post, **changes) if changes else post


def _clamped(engagement: Engagement) -> Engagement:
    """Counters within what the snapshot columns hold (a count of 1e20 is noise, not a number to lose a post over)."""
    changes = {}
    for f in fields(engagement):
        value = getattr(engagement, f.name)
        if isinstance(value, int) and not -COUNTER_MAX <= value <= COUNTER_MAX:
            changes[f.name] = max(-COUNTER_MAX, min(COUNTER_MAX, value))
    kinds = tuple((clean_text(str(k)), max(-COUNTER_MAX, min(COUNTER_MAX, int(n)))) for k, n in engagement.reaction_kinds)
    if kinds != engagement.reaction_kinds:
        changes["reaction_kinds"] = kinds
    return replace(engagement, **changes) if changes else engagement
