"""Word segmentation for Thai (PyThaiNLP newmm, or nlpo3), Chinese (jieba) and space-separated scripts.

This module is the one place pythainlp, nlpo3 and jieba are imported. Thai and Chinese are written without
spaces between words, so matching and features run on these segments, never on `\\b` regexes.
The watchlist matcher uses `words()` (newmm); the model's features use `model_words()`, which segments Thai
with nlpo3 (the same newmm algorithm in Rust over the same dictionary, 4-8x faster) and segments Chinese
with jieba for the Chinese heads only. Training and inference both call `model_words()`, so they always segment alike.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache

import jieba
import nlpo3
import pythainlp.corpus
from pythainlp.corpus import thai_words as _thai_dictionary
from pythainlp.tokenize import word_tokenize as _thai_word_tokenize
from pythainlp.util import Trie, dict_trie

jieba.setLogLevel(logging.WARNING)

_THAI = re.compile(r"[\u0E00-\u0E7F]+")
_HAN = re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]+")
# A run of Thai, a run of Han characters, or a Latin/digit word (keeping inner ' and -).
_RUNS = re.compile(r"[\u0E00-\u0E7F]+|[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]+|[^\W_]+(?:['\-][^\W_]+)*")


def thai_words(text: str) -> list[str]:
    """Segment a run of Thai text into words with the newmm dictionary engine."""
    return [w for w in _thai_word_tokenize(text, engine="newmm", keep_whitespace=False) if w.strip()]


@lru_cache(maxsize=4)
def _thai_trie(extra_words: frozenset[str]) -> Trie:
    # Building the trie of ~60k words takes about a second, so it is built once per word set.
    return dict_trie(set(_thai_dictionary()) | extra_words)


def thai_words_with(text: str, extra_words: frozenset[str]) -> list[str]:
    """Segment Thai like `thai_words`, with `extra_words` (brand names) added to the dictionary.

    A name the dictionary lacks is otherwise split ("ไลน์แมน" -> "ไลน์" "แมน"), and then a shorter name
    ("ไลน์") would seem to occur inside it; with the name in the dictionary it stays one word.
    """
    if not extra_words:
        return thai_words(text)
    words = _thai_word_tokenize(text, engine="newmm", custom_dict=_thai_trie(extra_words), keep_whitespace=False)
    return [w for w in words if w.strip()]


@lru_cache(maxsize=1)
def _jieba() -> "jieba.Tokenizer":
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def chinese_words(text: str) -> list[str]:
    """Segment a run of Chinese text into words with jieba (precise mode)."""
    return [w for w in _jieba().lcut(text, HMM=True) if w.strip()]


def words(text: str) -> list[str]:
    """Lower-cased words of mixed Thai/Chinese/Latin text, each script segmented its own way."""
    out: list[str] = []
    for run in _RUNS.findall(text):
        if _THAI.fullmatch(run):
            out.extend(thai_words(run))
        elif _HAN.fullmatch(run):
            out.extend(chinese_words(run))
        else:
            out.append(run.lower())
    return out


@lru_cache(maxsize=1)
def _nlpo3_dictionary() -> str:
    """Name under which PyThaiNLP's word list is loaded into nlpo3 (loaded once per process)."""
    name = "fangsiang-th"
    path = os.path.join(os.path.dirname(pythainlp.corpus.__file__), "words_th.txt")
    nlpo3.load_dict(path, name)
    return name


def thai_words_fast(text: str) -> list[str]:
    """Segment a run of Thai text with nlpo3 (newmm in Rust); may split a few texts unlike `thai_words`."""
    return [w for w in nlpo3.segment(text, _nlpo3_dictionary()) if w.strip()]


def model_words(text: str, chinese: bool = False) -> list[str]:
    """Words for the model's features: Thai runs via nlpo3, Latin/digit words lower-cased.

    Han runs are segmented by jieba only with `chinese` (the Chinese heads: jieba word n-grams add about
    half a point of review accuracy over character n-grams alone); the Thai and English heads skip them,
    since jieba is pure Python and the slowest step of scoring.
    """
    out: list[str] = []
    for run in _RUNS.findall(text):
        if _THAI.fullmatch(run):
            out.extend(thai_words_fast(run))
        elif not _HAN.fullmatch(run):
            out.append(run.lower())
        elif chinese:
            out.extend(chinese_words(run))
    return out
