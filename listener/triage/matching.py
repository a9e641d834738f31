"""Term matching on word segments: how a watchlist term is found in a post. Reads no configuration.

Text and terms pass through the same `normalize_for_match` (NFKC, lower case, zero-width characters dropped,
Thai letters typed three or more times in a row shortened to one, Traditional Chinese folded to Simplified)
and are cut into tokens by script:

* Latin letters and digits: one token per word (any other character separates words), compared exactly.
  "AIS" matches "ais" and "AIS-Fibre" but never "ChAISe", with no `\\b` regex anywhere.
* Thai: each run of Thai letters is segmented by PyThaiNLP newmm, with every Thai term of the loaded
  watchlists added to its dictionary. A Thai term matches where the text's segments, laid end to end,
  spell it exactly: it must start where a segment starts and end where one ends. So "ไลน์" does not match
  inside "ออนไลน์", yet matches in "แชทไลน์ไม่ได้" (no spaces). The segments inside the term need not line
  up with how the term alone would be cut, which covers brand names the dictionary splits oddly, and
  spaces between Thai words are ignored on both sides ("ทรู มูฟ" = "ทรูมูฟ"), since Thai spacing is a
  matter of style.
* Chinese: one token per character, so a Chinese term matches as a substring of the characters. jieba cuts
  brand names unpredictably ("美团外卖" may or may not be one word), so word boundaries are not used.

NEAR distances count tokens, i.e. words for Thai and Latin and characters for Chinese.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sentiment.normalize import to_simplified
from sentiment.tokenize import thai_words_with

_THAI_LETTER_RUN = re.compile(r"([\u0E01-\u0E4E])\1{2,}")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
_HAN_CHARS = "\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF"
# A run of Thai, a run of Han, or a Latin/digit word; anything else (spaces, punctuation, emoji) separates.
_RUNS = re.compile(rf"([\u0E00-\u0E7F]+)|([{_HAN_CHARS}]+)|([^\W_\u0E00-\u0E7F{_HAN_CHARS}]+)")

Span = tuple[int, int]  # token index of the first token and one past the last


def normalize_for_match(text: str) -> str:
    """The one normal form used for both post text and watchlist terms."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _ZERO_WIDTH.sub("", text)
    # Writers stretch Thai words for emphasis ("ช้ามากกกก"); no Thai word has a letter three times in a row.
    text = _THAI_LETTER_RUN.sub(r"\1", text)
    return to_simplified(text)


def is_thai(token: str) -> bool:
    return "\u0e00" <= token[0] <= "\u0e7f"


def tokenize(text: str, thai_extra: frozenset[str] = frozenset()) -> list[str]:
    """Tokens of already normalised text: Thai segments, single Han characters, Latin/digit words."""
    tokens: list[str] = []
    for thai, han, latin in _RUNS.findall(text):
        if thai:
            tokens.extend(thai_words_with(thai, thai_extra))
        elif han:
            tokens.extend(han)
        else:
            tokens.append(latin)
    return tokens


@dataclass(frozen=True)
class Pattern:
    """A compiled term: exact tokens (Latin words, Han characters) and Thai runs matched by concatenation."""

    units: tuple[tuple[bool, str], ...]  # (is a Thai run, text)

    def match_at(self, tokens: Sequence[str], i: int) -> int | None:
        """The index one past the match if the pattern matches starting at token `i`, else None."""
        n = len(tokens)
        for thai_run, unit in self.units:
            if not thai_run:
                if i >= n or tokens[i] != unit:
                    return None
                i += 1
                continue
            offset = 0
            while offset < len(unit):
                if i >= n or not unit.startswith(tokens[i], offset):
                    return None
                offset += len(tokens[i])
                i += 1
        return i


def compile_term(term: str) -> Pattern | None:
    """The pattern of one term, or None when it has no letters or digits to match on."""
    units: list[tuple[bool, str]] = []
    for thai, han, latin in _RUNS.findall(normalize_for_match(term)):
        if thai and units and units[-1][0]:
            units[-1] = (True, units[-1][1] + thai)  # spaces between Thai words do not count
        elif thai:
            units.append((True, thai))
        elif han:
            units.extend((False, ch) for ch in han)
        else:
            units.append((False, latin))
    return Pattern(tuple(units)) if units else None


def thai_runs(patterns: Iterable[Pattern]) -> frozenset[str]:
    """The Thai runs of these patterns, to be added to the segmentation dictionary."""
    return frozenset(unit for p in patterns for thai_run, unit in p.units if thai_run)


class TermIndex:
    """All distinct patterns of a watchlist set, indexed by how their first token can look.

    Latin and Han patterns are keyed by their exact first token; Thai ones by their first letter, because
    the text's first segment of a Thai term may be any prefix of it.
    """

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = list(patterns)
        self.thai_extra = thai_runs(self.patterns)
        self._exact: dict[str, list[int]] = {}
        self._thai: dict[str, list[int]] = {}
        for pid, pattern in enumerate(self.patterns):
            thai_run, first = pattern.units[0]
            key_map = self._thai if thai_run else self._exact
            key_map.setdefault(first[0] if thai_run else first, []).append(pid)

    def prepare(self, text: str) -> list[str]:
        """Normalise and segment a text once; the tokens can then be scanned for any pattern."""
        return tokenize(normalize_for_match(text), self.thai_extra)

    def scan(self, tokens: Sequence[str]) -> dict[int, list[Span]]:
        """Every occurrence of every pattern: pattern id -> spans."""
        hits: dict[int, list[Span]] = {}
        empty: list[int] = []
        for i, token in enumerate(tokens):
            candidates = self._exact.get(token, empty)
            if is_thai(token):
                candidates = candidates + self._thai.get(token[0], empty)
            for pid in candidates:
                end = self.patterns[pid].match_at(tokens, i)
                if end is not None:
                    hits.setdefault(pid, []).append((i, end))
        return hits


def within(left: Sequence[Span], right: Sequence[Span], distance: int, ordered: bool) -> bool:
    """True if some left span and right span have at most `distance` tokens between them.

    `ordered`: the left span must come first. Overlapping spans count as distance 0.
    """
    for a_start, a_end in left:
        for b_start, b_end in right:
            if a_end <= b_start:
                gap = b_start - a_end
            elif b_end <= a_start:
                if ordered:
                    continue
                gap = a_start - b_end
            else:
                gap = 0
            if gap <= distance:
                return True
    return False

