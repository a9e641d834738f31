"""Escalation cues: phrases that say a complaint is about to go beyond the company's own channels.

A care team must see first the post that calls for sharing or shaming (ฝากแชร์, แฉ, ประจาน), calls for a
boycott (อย่าซื้อ … เด็ดขาด, แบน), names a regulator or outside body (สคบ., กสทช., คปภ., ธปท., 315, BBB),
the police, lawyers or a lawsuit (แจ้งความ, ฟ้อง, ทนาย), or the media (ออกข่าว, นักข่าว) — whatever the model's
score. Plain complaint words (refund, "never again") are the model's job, not cues. Default lists per
language live here; a deployment adds its own through the YAML config (`cues:` mapping language → list of
phrases), which arrives as `CueFinder(extra=...)`.

Matching runs on the normalised text (see `normalize`):
* Thai phrases match on word segments: an occurrence counts only where it starts and ends on a word boundary
  of the text's PyThaiNLP segmentation (the cue phrases are in its dictionary), so "แฉ" never matches inside
  "แฉะ" and "แบน" not inside "แบนด์". A phrase followed by the repetition mark ๆ is another word
  ("แบนๆ" is "flat", not "ban"), and `EXCEPT_AFTER` lists readings that are not escalation ("ช่วยแชร์ประสบการณ์"
  asks to share experiences). `SPANS` are cues made of two parts with a few words between them
  ("อย่าซื้อ … เด็ดขาด"). Only texts that contain a phrase as a substring are segmented, so most posts cost a
  few substring tests.
* Chinese phrases match as substrings (no spaces between words; `\\b` is meaningless there).
* Latin phrases match on word boundaries, case-insensitively. A phrase that starts or ends with a digit
  ("315") must not touch other digits.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from sentiment.normalize import normalize
from sentiment.tokenize import thai_words_with

DEFAULT_CUES: dict[str, tuple[str, ...]] = {
    "th": (
        # share and shame
        "ฝากแชร์", "ช่วยแชร์", "ช่วยกันแชร์", "แชร์ต่อ", "แชร์ให้ถึง", "แฉ", "ประจาน",
        # boycott
        "แบน", "บอยคอต", "อย่าซื้อ", "อย่าสั่ง", "อย่าไปใช้", "อย่าใช้บริการ",
        # regulators and outside bodies
        "สคบ.", "สคบ", "กสทช.", "กสทช", "คปภ.", "คปภ", "ธปท.", "ธปท", "แบงก์ชาติ", "แบงค์ชาติ", "อย.",
        "ก.ล.ต.", "ศูนย์ดำรงธรรม", "ดำรงธรรม",
        # police, lawyers, courts
        "แจ้งความ", "ลงบันทึกประจำวัน", "จะฟ้อง", "ยื่นฟ้อง", "ฟ้องร้อง", "ฟ้องศาล", "ฟ้องคดี", "ฟ้องเลย", "ฟ้องได้", "ฟ้องนายจ้าง",
        "ดำเนินคดี", "ทนาย", "ทนายความ", "ขึ้นศาล",
        # the media
        "ออกข่าว", "ลงข่าว", "นักข่าว", "สื่อมวลชน", "ให้สื่อ", "โหนกระแส", "อีจัน",
    ),
    "zh": (
        "投诉", "曝光", "维权", "315", "举报", "起诉", "律师", "消协", "消费者协会", "报警", "工商局", "12315",
        "媒体", "记者", "抵制",
    ),
    "en": (
        "sue", "suing", "lawsuit", "lawyer", "bbb", "better business bureau", "chargeback", "report you",
        "file a complaint", "consumer protection", "boycott", "attorney general", "ftc", "going viral",
        "go viral", "the press", "journalist", "small claims",
    ),
}
# A Thai cue read another way: preceded by one of these words it is passive or unrelated ("โดนแบน" is being
# banned, not a boycott), followed by one of `EXCEPT_AFTER` it asks for something else ("ช่วยแชร์ประสบการณ์"
# asks to share experiences).
EXCEPT_BEFORE: dict[str, tuple[str, ...]] = {
    "แบน": ("โดน", "ถูก", "จะโดน", "เคยโดน"),
    "แจ้งความ": ("ท้าวแชร์",),
}
EXCEPT_AFTER: dict[str, tuple[str, ...]] = {
    "ช่วยแชร์": ("ประสบ", "ความรู้", "วิธี", "ข้อมูล", "รีวิว", "ความคิดเห็น", "ค่า", "เครื่อง", "ระบบ", "ว่า"),
    "ฝากแชร์": ("ประสบ", "ความรู้", "วิธี"),
    "แชร์ต่อ": ("ประสบ",),
}
# Two-part Thai cues: (first part, second part, most characters between them, the name reported).
SPANS: tuple[tuple[str, str, int, str], ...] = (
    ("อย่า", "เด็ดขาด", 60, "อย่า…เด็ดขาด"),
)

_THAI = re.compile(r"[\u0E00-\u0E7F]")
_THAI_OR_HAN = re.compile(r"[\u0E00-\u0E7F\u3400-\u4DBF\u4E00-\u9FFF]")
_REPEAT = "ๆ"


def _latin_pattern(phrase: str) -> str:
    """Regex for one non-Thai phrase: word boundaries for Latin phrases, digit guards for numeric ends."""
    body = re.escape(phrase)
    if not _THAI_OR_HAN.search(phrase) and not phrase.isdigit():
        return rf"(?<![^\W_]){body}(?![^\W_])"
    head = r"(?<!\d)" if phrase[0].isdigit() else ""
    tail = r"(?!\d)" if phrase[-1].isdigit() else ""
    return f"{head}{body}{tail}"


def _boundaries(text: str, dictionary: frozenset[str]) -> tuple[set[int], set[int]]:
    """Start and end offsets of the words of `text` (newmm with the cue words in its dictionary)."""
    starts, ends, at = set(), set(), 0
    for word in thai_words_with(text, dictionary):
        at = text.find(word, at)
        if at < 0:  # the segmenter changed the text (it should not): give up on boundaries for the rest
            break
        starts.add(at)
        ends.add(at + len(word))
        at += len(word)
    return starts, ends


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
        thai = [p for p in phrases if _THAI.search(p)]
        other = sorted((p for p in phrases if p not in thai), key=len, reverse=True)  # longest first
        self._thai = tuple(sorted(thai, key=len, reverse=True))
        self._dictionary = frozenset(p.rstrip(".") for p in self._thai)
        self._other = tuple(other)
        self._regex = re.compile("|".join(f"({_latin_pattern(p)})" for p in other), re.IGNORECASE) if other else None
        self._spans = tuple((a, b, gap, name, re.compile(re.escape(a) + r"(.{1," + str(gap) + r"}?)" + re.escape(b)))
                            for a, b, gap, name in SPANS)

    def find(self, text: str) -> tuple[str, ...]:
        """Cues in `text`, each once, in order of first appearance, spelled as in the cue list."""
        return self.find_normalized(normalize(text))

    def find_normalized(self, normalized_text: str) -> tuple[str, ...]:
        """Like `find` for text already passed through `normalize` (saves a second pass in batch scoring)."""
        text = normalized_text.lower()
        found: list[tuple[int, str]] = []
        if self._regex is not None and any(p in text for p in self._other):
            found += [(m.start(), self._canonical[self._other[m.lastindex - 1]]) for m in self._regex.finditer(text)]
        candidates = [p for p in self._thai if p in text]
        spans = [s for s in self._spans if s[0] in text and s[1] in text]
        if candidates or spans:
            found += self._thai_cues(text, candidates, spans)
        return tuple(dict.fromkeys(name for _, name in sorted(found, key=lambda hit: hit[0])))

    def _thai_cues(self, text: str, candidates: list[str], spans: list) -> list[tuple[int, str]]:
        starts, ends = _boundaries(text, self._dictionary)
        hits: list[tuple[int, str]] = []
        taken: set[int] = set()  # characters already inside a longer cue ("ทนายความ" hides "ทนาย")
        for phrase in candidates:
            for at in _occurrences(text, phrase):
                end = at + len(phrase)
                word_end = end - 1 if phrase.endswith(".") and end - 1 in ends else end
                if at not in starts or (word_end not in ends and end not in ends) or at in taken:
                    continue
                if text[end:].lstrip().startswith(_REPEAT) or self._excepted(phrase, text[:at], text[end:]):
                    continue
                taken.update(range(at, end))
                hits.append((at, self._canonical[phrase]))
        for first, second, _, name, pattern in spans:
            for m in pattern.finditer(text):
                if m.start() in starts and m.end() - len(second) in starts:
                    hits.append((m.start(), name))
                    break
        return hits

    @staticmethod
    def _excepted(phrase: str, before: str, after: str) -> bool:
        before, after = before.rstrip(), after.lstrip()
        return (any(before.endswith(word) for word in EXCEPT_BEFORE.get(phrase, ()))
                or any(after.startswith(word) for word in EXCEPT_AFTER.get(phrase, ())))


def _occurrences(text: str, phrase: str) -> list[int]:
    found, at = [], text.find(phrase)
    while at >= 0:
        found.append(at)
        at = text.find(phrase, at + 1)
    return found
