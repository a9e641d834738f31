"""Feature strings for the linear model: character n-grams plus word uni/bigrams, per language.

Training (`sentiment.train`) and inference (`sentiment.embedded`) both call `extract`, so the two can never
drift apart. The feature configuration (n-gram ranges) is stored in the model header and passed back in.
Words come from `tokenize.model_words` (nlpo3 for Thai; jieba for Chinese where the config asks for it).
Word features carry a "\\x01" prefix so that a word never shares a column with an identical character n-gram.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from sentiment.tokenize import model_words

# Emoji and pictographs are dropped by the word splitter; they are strong sentiment signals, so add them back.
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")


@dataclass(frozen=True)
class FeatureConfig:
    """n-gram ranges for one language head."""

    char_min: int = 1
    char_max: int = 4
    word_max: int = 2  # 1 = unigrams only, 2 = plus bigrams
    use_words: bool = True
    chinese_words: bool = False  # segment Han runs with jieba (Chinese heads only: it is the slowest step)

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """All character n-grams of `text` (padded with spaces) with lo <= n <= hi."""
    padded = f" {text} "
    size = len(padded)
    return [padded[i : i + n] for n in range(lo, hi + 1) for i in range(size - n + 1)]


def word_grams(text: str, max_n: int, chinese: bool = False) -> list[str]:
    """Prefixed word unigrams (and bigrams when max_n >= 2), emoji included as words."""
    toks = model_words(text, chinese) + _EMOJI.findall(text)
    grams = ["\x01" + t for t in toks]
    if max_n >= 2:
        grams.extend(f"\x01{a}\x02{b}" for a, b in zip(toks, toks[1:]))
    return grams


def extract(normalized_text: str, config: FeatureConfig) -> list[str]:
    """Feature strings of one normalised text; Latin letters are lower-cased first."""
    text = normalized_text.lower()
    grams = char_ngrams(text, config.char_min, config.char_max)
    if config.use_words:
        grams.extend(word_grams(text, config.word_max, config.chinese_words))
    return grams


# Character n-grams at inference are looked up by a 64-bit polynomial key computed in numpy over the whole batch,
# instead of slicing a Python string per n-gram and hashing it for a dict (the slowest step of scoring).
# The key of codepoints c1..cn is (((c1 * M + c2) * M + c3) ...) mod 2**64: deterministic, unlike `hash()`.
_MULT = np.uint64(0x9E3779B97F4A7C15)


def gram_keys(grams: list[str]) -> np.ndarray:
    """Keys of character n-grams (the vocabulary side), vectorised over all grams."""
    lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    cps = np.frombuffer("".join(grams).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    keys = np.zeros(len(grams), dtype=np.uint64)
    for j in range(int(lengths.max(initial=0))):
        has = lengths > j
        keys[has] = keys[has] * _MULT + cps[starts[has] + j]
    return keys


def batch_char_keys(texts: list[str], lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, key) of every character n-gram (lo <= n <= hi) of every padded, lower-cased text in the batch.

    Texts are joined with NUL separators; an n-gram window that contains a separator is dropped, so the
    result equals `char_ngrams(text.lower(), lo, hi)` of each text on its own.
    """
    joined = "\0" + "\0".join(f" {t.replace(chr(0), '')} " for t in texts) + "\0"
    cps = np.frombuffer(joined.lower().encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    seps = np.cumsum(cps == 0)  # separators up to and including each position
    rows_all, keys_all = [], []
    h = np.zeros(len(cps), dtype=np.uint64)
    for n in range(1, hi + 1):
        h = h[: len(cps) - n + 1] * _MULT + cps[n - 1 :]
        if n < lo:
            continue
        start_seps = seps[: len(h)] - (cps[: len(h)] == 0)  # separators strictly before the window
        clean = seps[n - 1 :] == start_seps  # no separator inside the window
        rows_all.append(start_seps[clean] - 1)
        keys_all.append(h[clean])
    return np.concatenate(rows_all).astype(np.int64), np.concatenate(keys_all)
