"""Find e-mail addresses (also ``somchai＠gmail.com`` and ``somchai at gmail dot com``) and LINE IDs in text.

Each finder returns ``(start, end, tag)`` spans of the part to hide; for a LINE ID only the ID itself, so
"ไลน์ [line-id]" still says what was there.
"""

from __future__ import annotations

import re

Span = tuple[int, int, str]

_LOCAL = r"[A-Za-z0-9][A-Za-z0-9._%+\-]*"
_LABEL = r"[A-Za-z0-9][A-Za-z0-9\-]*"
_DOT = r"\s?[.．。]\s?"
_EMAIL = re.compile(rf"{_LOCAL}\s?[@＠]\s?{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}[A-Za-z]{{2,}}(?![A-Za-z0-9])")
# "at … dot": (at) [at] {at} _at_ แอท 艾特, and (dot) [dot] dot ดอท or a real dot; the last part must be a
# common ending so that "meet at noon dot" stays prose.
_AT = r"\s?(?:[(\[{]\s?at\s?[)\]}]|\sat\s|\s?แอท\s?|\s?艾特\s?)\s?"
_SPOKEN_DOT = r"\s?(?:[(\[{]\s?dot\s?[)\]}]|\sdot\s|\s?ดอท\s?|\s?点\s?|[.．])\s?"
_ENDINGS = r"(?:com|net|org|co|th|cn|io|me|info|biz|edu|gov|ac|in|uk|jp|hk|tw|sg|my)"
_SPOKEN_EMAIL = re.compile(rf"{_LOCAL}{_AT}{_LABEL}(?:{_SPOKEN_DOT}{_LABEL})*{_SPOKEN_DOT}{_ENDINGS}(?![A-Za-z])",
                           re.IGNORECASE)

# "LINE ID: somchai", "ไลน์ไอดี @shop123", "แอดไลน์ somchai_99", "line: abc.def", "加line abc123"
_LINE_WORD = r"(?:line\s?id|id\s?line|lineid|ไลน์\s?ไอดี|ไอดี\s?ไลน์|แอดไลน์|add\s?line|加\s?line|line号|line|ไลน์)"
_WHOSE = r"(?:\s?(?:ของ)?(?:ผม|ฉัน|หนู|เรา|คือ))?"  # "ไลน์ไอดีผม …": my LINE ID is …
_LINE = re.compile(rf"(?<![A-Za-z]){_LINE_WORD}{_WHOSE}(?P<sep>\s?[:：=]\s?|\s)?(?P<at>@)?(?P<id>[A-Za-z0-9][A-Za-z0-9._\-]{{2,19}})"
                   r"(?![A-Za-z0-9._\-])", re.IGNORECASE)
_ID_WORD = re.compile(r"id|ไอดี|แอด|add|加", re.IGNORECASE)


def find_emails(text: str) -> list[Span]:
    spans = [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    spans += [(m.start(), m.end(), "email") for m in _SPOKEN_EMAIL.finditer(text)]
    return spans


def find_line_ids(text: str) -> list[Span]:
    spans = []
    for match in _LINE.finditer(text):
        word = match.group()[: match.start("id") - match.start()]
        ident = match.group("id")
        explicit = bool(match.group("at") or ":" in word or "：" in word or "=" in word or _ID_WORD.search(word))
        # After a bare "line"/"ไลน์", only something that looks like an ID ("line is down" is prose).
        if explicit or re.search(r"[0-9._\-]", ident):
            spans.append((match.start("at") if match.group("at") else match.start("id"), match.end(), "line-id"))
    return spans
