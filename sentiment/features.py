"""Feature strings for the linear model: character n-grams plus word uni/bigrams, per language.

Training (`sentiment.train`) and inference (`sentiment.embedded`) both call `extract`, so the two can never
drift apart. The feature configuration (n-gram ranges) is stored in the model header and passed back in.
Word features carry a "\\x01" prefix so that a word never shares a column with an identical character n-gram.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sentiment.tokenize import words

# Emoji and pictographs are dropped by the word splitter; they are strong sentiment signals, so add them back.
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")


@dataclass(frozen=True)
class FeatureConfig:
    """n-gram ranges for one language head."""

    char_min: int = 1
    char_max: int = 4
    word_max: int = 2  # 1 = unigrams only, 2 = plus bigrams
    use_words: bool = True

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """All character n-grams of `text` (padded with spaces) with lo <= n <= hi."""
    padded = f" {text} "
    size = len(padded)
    return [padded[i : i + n] for n in range(lo, hi + 1) for i in range(size - n + 1)]


def word_grams(text: str, max_n: int) -> list[str]:
    """Prefixed word unigrams (and bigrams when max_n >= 2), emoji included as words."""
    toks = words(text) + _EMOJI.findall(text)
    grams = ["\x01" + t for t in toks]
    if max_n >= 2:
        grams.extend(f"\x01{a}\x02{b}" for a, b in zip(toks, toks[1:]))
    return grams


def extract(normalized_text: str, config: FeatureConfig) -> list[str]:
    """Feature strings of one normalised text; Latin letters are lower-cased first."""
    text = normalized_text.lower()
    grams = char_ngrams(text, config.char_min, config.char_max)
    if config.use_words:
        grams.extend(word_grams(text, config.word_max))
    return grams
