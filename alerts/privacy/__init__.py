"""Mask personal data in post text before it leaves for Slack (and, with retention, in the database).

Customers often paste their phone number, national ID, e-mail, bank account, card number or LINE ID into
a complaint. The care team needs the complaint, not the numbers, and a Slack channel is a much wider
audience than the original post, so ``mask_personal_data`` replaces them with a short tag such as
``[phone]``: ``[phone]``, ``[national-id]``, ``[email]``, ``[bank-account]``, ``[card]``, ``[line-id]``.

Numbers are found the way people write them, not the way a form wants them: any digits (ASCII, Thai ๐-๙,
fullwidth ０-９), split by any mix of hyphens, en/em dashes, spaces (also no-break and ideographic),
dots, slashes, brackets and zero-width characters, with or without ``+66``/``0066``/``66``. Each run of
digit groups is then judged by the numbering plans and checksums in ``alerts.privacy.numbers``; a run of
several numbers ("081-234-5678 / 089-876-5432") is tried group by group. Digits glued to Latin letters
(``EF123456789TH``, a parcel code) are left alone. Patterns never rely on ``\\b``: Thai letters count as
word characters, so "โทร0812345678" has no word boundary before the digits.

Mask the whole text *before* cutting an excerpt from it, or a number on the cut is left half visible.
"""

from __future__ import annotations

import re
import unicodedata

from alerts.privacy.handles import Span, find_emails, find_line_ids
from alerts.privacy.numbers import DigitRun, classify

_SEP = r"[\s\-‐‑‒–—―−－﹣_.．·・/\\()（）\u200b\u200c\u200d\u2060\ufeff]"
# A run: an optional "+" (or a bracket before it), digits, then more digits after at most 3 separators.
_RUN = re.compile(rf"(?<!\d)(?P<plus>[(（]?[+＋])?\d(?:{_SEP}{{0,3}}\d)*(?P<x>[Xx])?(?!\d)")
_GROUP = re.compile(r"\d+")
_LATIN = re.compile(r"[A-Za-z]")
MIN_DIGITS, MAX_DIGITS = 8, 19  # a Thai landline without its 0 … a 19-digit card
MAX_GROUPS = 13  # a Thai ID written digit by digit; longer runs are tried in windows of this many groups


def mask_personal_data(text: str) -> str:
    """Replace e-mails, LINE IDs, national IDs, phone, card and bank account numbers with tags."""
    spans = find_emails(text) + find_line_ids(text)
    spans += [span for span in _number_spans(text) if not _inside(span, spans)]
    for start, end, tag in sorted(_outermost(spans), reverse=True):
        text = f"{text[:start]}[{tag}]{text[end:]}"
    return text


def masked_excerpt(text: str, limit: int, mask: bool = True) -> str:
    """The first ``limit`` characters of ``text``, masked first so that no number is cut in half visible."""
    return (mask_personal_data(text) if mask else text)[:limit]


def _number_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _RUN.finditer(text):
        start, end = match.start(), match.end()
        if _glued_to_latin(text, start, end, match.group("x")):
            continue  # a parcel or product code
        groups = [(g.start() + start, g.end() + start, _ascii(g.group())) for g in _GROUP.finditer(match.group())]
        spans += _judge(text, groups, bool(match.group("plus")), bool(match.group("x")), start, end)
    return spans


def _judge(text: str, groups: list[tuple[int, int, str]], plus: bool, check_x: bool,
           run_start: int, run_end: int) -> list[Span]:
    """Left to right, the longest window of groups that is personal data; a window starts again after it."""
    found: list[Span] = []
    counts = [0]
    for group in groups:
        counts.append(counts[-1] + len(group[2]))
    i = 0
    while i < len(groups):
        for j in range(min(len(groups), i + MAX_GROUPS), i, -1):
            if not MIN_DIGITS <= counts[j] - counts[i] <= MAX_DIGITS:
                continue  # nothing we mask is this short or this long
            last = j == len(groups)
            run = DigitRun(tuple(g[2] for g in groups[i:j]), plus=plus and i == 0, check_x=check_x and last,
                           before=text[max(0, groups[i][0] - 30):groups[i][0]])
            tag = classify(run)
            if tag is not None:
                start = run_start if i == 0 else groups[i][0]
                found.append((start, run_end if last else groups[j - 1][1], tag))
                i = j
                break
        else:
            i += 1
    return found


def _glued_to_latin(text: str, start: int, end: int, check_x: str | None) -> bool:
    before = text[start - 1:start] if start else ""
    after = "" if check_x else text[end:end + 1]
    return bool(_LATIN.match(before) or _LATIN.match(after))


def _ascii(digits: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in digits)


def _inside(span: Span, others: list[Span]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end, _ in others)


def _outermost(spans: list[Span]) -> list[Span]:
    """Drop spans that overlap an earlier-starting (or longer) one, so replacements never collide."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept
