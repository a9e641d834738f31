"""Escalation cues: phrases that say a complaint is about to spread or go to an authority.

A complaint that names the consumer-protection board (สคบ., 315, BBB), threatens to sue, or asks readers to
share is what a care team must see first, whatever the model's score. Default lists per language live here;
a deployment adds its own through the YAML config (`cues:` mapping language → list of phrases), which arrives
as `CueFinder(extra=...)`.

Matching runs on the normalised text (see `normalize`). Thai and Chinese phrases match as substrings, because
those scripts have no spaces between words and a `\\b` regex is meaningless there; Latin phrases match on word
boundaries, case-insensitively. A phrase that starts or ends with a digit ("315") must not touch other digits.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from sentiment.normalize import normalize

DEFAULT_CUES: dict[str, tuple[str, ...]] = {
    "th": (
        "ฝากแชร์", "ช่วยแชร์", "แชร์ต่อ", "แฉ", "สคบ.", "สคบ", "ฟ้อง", "ร้องเรียน", "ไม่ไหวแล้ว", "แจ้งความ",
        "ดำเนินคดี", "ทนาย", "โดนโกง", "โกงเงิน", "มิจฉาชีพ", "แบน", "เลิกใช้", "ย้ายค่าย", "ไม่ใช้อีกแล้ว",
        "ขอเงินคืน", "คืนเงิน", "ประจาน", "ออกข่าว", "ไลฟ์สด", "กสทช", "เรียกร้อง", "ไม่รับผิดชอบ",
    ),
    "zh": (
        "投诉", "曝光", "维权", "315", "退款", "退货", "举报", "起诉", "律师", "消协", "消费者协会", "骗子",
        "欺诈", "再也不买", "再也不来", "黑心", "报警", "差评", "工商局", "12315",
    ),
    "en": (
        "sue", "suing", "lawsuit", "lawyer", "refund", "bbb", "better business bureau", "never again",
        "chargeback", "scam", "fraud", "report you", "file a complaint", "consumer protection", "boycott",
        "attorney general", "ftc", "going viral", "cancel my account", "switching to",
    ),
}

_THAI_OR_HAN = re.compile(r"[\u0E00-\u0E7F\u3400-\u4DBF\u4E00-\u9FFF]")


def _pattern(phrase: str) -> str:
    """Regex for one phrase: word boundaries only for Latin phrases, digit guards for numeric ends."""
    body = re.escape(phrase)
    if not _THAI_OR_HAN.search(phrase) and not phrase.isdigit():
        return rf"(?<![^\W_]){body}(?![^\W_])"
    head = r"(?<!\d)" if phrase[0].isdigit() else ""
    tail = r"(?!\d)" if phrase[-1].isdigit() else ""
    return f"{head}{body}{tail}"


class CueFinder:
    """Finds escalation cues (defaults plus configured extras) in texts of any supported language."""

    def __init__(self, extra: Mapping[str, Sequence[str]] | None = None) -> None:
        phrases: dict[str, str] = {}  # normalised, lower-cased phrase -> the phrase as listed
        for lists in (DEFAULT_CUES, extra or {}):
            for items in lists.values():
                for phrase in items:
                    key = normalize(phrase).lower()
                    if key:
                        phrases.setdefault(key, phrase)
        self._canonical = phrases
        # Longest first, so "消费者协会" wins over a shorter phrase starting at the same place.
        ordered = sorted(phrases, key=len, reverse=True)
        self._regex = re.compile("|".join(f"({_pattern(p)})" for p in ordered), re.IGNORECASE)
        self._ordered = ordered
        # Most posts hold no cue at all. Every match contains its phrase verbatim, so a plain substring test
        # (C speed) decides whether the regex, with its look-arounds at every position, needs to run at all.
        self._phrases = tuple(ordered)

    def find(self, text: str) -> tuple[str, ...]:
        """Cues in `text`, each once, in order of first appearance, spelled as in the cue list."""
        return self.find_normalized(normalize(text))

    def find_normalized(self, normalized_text: str) -> tuple[str, ...]:
        """Like `find` for text already passed through `normalize` (saves a second pass in batch scoring)."""
        text = normalized_text.lower()
        if not any(phrase in text for phrase in self._phrases):
            return ()
        found: list[str] = []
        for match in self._regex.finditer(text):
            phrase = self._canonical[self._ordered[match.lastindex - 1]]
            if phrase not in found:
                found.append(phrase)
        return tuple(found)
