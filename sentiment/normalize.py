"""Text normalisation shared by the model features and the cue finder.

Steps, in order: Unicode NFKC; URLs, @mentions and #hashtags become placeholder tokens (the hashtag's words are
kept, because "#ฝากแชร์" is itself an escalation cue); Thai laughter "555+" becomes one token; elongated letters
are shortened (Thai "มากกกก" → "มาก", Latin "sooooo" → "soo", "哈哈哈哈" → "哈哈"); emoji are spaced out so they
act as tokens; Traditional Chinese characters are mapped to Simplified, so reviews in either script share
features. Reads no configuration.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache

URL_TOKEN = "xxurl"
USER_TOKEN = "xxuser"
HASHTAG_TOKEN = "xxtag"
LAUGH_TOKEN = "xxlaugh"

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|net|org|co\.th|in\.th|ly|cn)(?:/\S*)?", re.I)
_MENTION = re.compile(r"(?<![\w.])@[\w.]+")
_HASHTAG = re.compile(r"#(?=\w)")
# 555 is Thai "hahaha" (5 is pronounced "ha"); Thai digits ๕ too. Not when part of a longer number (5,550 baht).
_LAUGH = re.compile(r"(?<![\d.,])[5๕]{3,}\+*(?![\d.,])")
# Thai letters repeated 3+ times are always elongation (no Thai word has a letter thrice in a row).
_THAI_RUN = re.compile(r"([\u0E01-\u0E4E])\1{2,}")
# Other non-digit characters repeated 3+ times keep two, which still marks emphasis ("soo", "!!", "哈哈").
_OTHER_RUN = re.compile(r"([^\d\s\u0E00-\u0E7F])\1{2,}")
_EMOJI = re.compile(
    "([\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u3030\u303D\u3297\u3299])[\uFE0F\U0001F3FB-\U0001F3FF]*"
)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Character table Traditional → Simplified from OpenCC's dictionary; empty if the package is missing.

    The pure-Python OpenCC converter handles phrases but runs at a few thousand characters per second;
    a one-character `str.translate` table covers nearly all of what matters for classification at C speed.
    """
    try:
        import opencc  # the only import of opencc in the package
    except ImportError:
        return {}
    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
    table: dict[int, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and len(parts[0]) == 1:
                table[ord(parts[0])] = parts[1].split(" ")[0]
    return table


def to_simplified(text: str) -> str:
    """Map Traditional Chinese characters to Simplified ones, one character at a time."""
    return text.translate(_t2s_table())


def normalize(text: str) -> str:
    """Return the normalised form of one text used by features and cue matching."""
    text = unicodedata.normalize("NFKC", text)
    text = _URL.sub(f" {URL_TOKEN} ", text)
    text = _MENTION.sub(f" {USER_TOKEN} ", text)
    text = _HASHTAG.sub(f" {HASHTAG_TOKEN} ", text)
    text = _LAUGH.sub(f" {LAUGH_TOKEN} ", text)
    text = _THAI_RUN.sub(r"\1", text)
    text = _OTHER_RUN.sub(r"\1\1", text)
    text = _EMOJI.sub(r" \1 ", text)
    if any("\u3400" <= ch <= "\u9fff" for ch in text):
        text = to_simplified(text)
    return _SPACES.sub(" ", text).strip()
