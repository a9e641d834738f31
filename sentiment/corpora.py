"""The one place where each training corpus is mapped onto the model's outputs.

The model has two kinds of outputs per language: a sentiment head over `LABELS` (a language head may cover
only some of them) and a complaint head giving P(complaint). Each corpus feeds one head of one language:

| corpus | language | head | mapping |
|---|---|---|---|
| th-wisesight | th | sentiment | pos→positive, neu→neutral, neg→negative, q→question |
| th-truevoice-intent | th | complaint | report→1 (a caller reporting a fault), every other intent→0 |
| th-pantip-complaints | th | complaint | complaint→1, not_complaint→0 (Pantip topics and comments) |
| th-pantip-complaints (its `sentiment` field, weight 3) | th | sentiment | negative/neutral/positive/question |
| en-airline | en | sentiment | negative/neutral/positive as named (no question class) |
| en-complaints | en | complaint | complaint→1, not_complaint→0 |
| en-airline (again, weight 0.3) | en | complaint | negative→1, neutral/positive→0 (weak labels) |
| zh-chnsenticorp, zh-waimai10k, zh-online-shopping | zh | sentiment | negative/positive (binary) |

Thai has two complaint corpora of different kinds of text (call-centre speech, forum posts): each trains its
own expert head and a gate picks the expert by how a text looks (`train._complaint_mixture`). A forum comment
is read in its thread (`context.in_thread`), as the daemon shows it to the model.
Chinese has no complaint corpus; the Chinese complaint output is the calibrated P(negative) of the review
heads, since nearly every negative review in these sets is a complaint about a product or delivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sentiment.context import in_thread

LABELS: tuple[str, ...] = ("negative", "neutral", "positive", "question")
LANGS: tuple[str, ...] = ("th", "en", "zh")
PERMISSIVE = frozenset({"th-wisesight", "th-truevoice-intent"})


@dataclass(frozen=True)
class Corpus:
    name: str
    lang: str
    head: str  # "sentiment" or "complaint"
    mapping: dict[str, str | int]  # gold label -> model label (sentiment) or 0/1 (complaint)
    weight: float = 1.0  # sample weight in training; < 1 for weak (indirect) supervision
    evaluated: bool = True  # False for a weak secondary use of a corpus: its dev split is not in the scores
    field: str = "label"  # the record field holding the gold label


CORPORA: tuple[Corpus, ...] = (
    Corpus("th-wisesight", "th", "sentiment",
           {"pos": "positive", "neu": "neutral", "neg": "negative", "q": "question"}),
    Corpus("th-truevoice-intent", "th", "complaint",
           {"report": 1, "enquire": 0, "cancel": 0, "buy": 0, "activate": 0, "change": 0, "request": 0,
            "garbage": 0}),
    Corpus("th-pantip-complaints", "th", "complaint", {"complaint": 1, "not_complaint": 0}),
    # Pantip's own 4-way sentiment: without it the Thai head never says `question` on Pantip (wisesight has few
    # questions). Weight 3 was picked on dev: Pantip 4-way accuracy 0.39 -> 0.57, wisesight unchanged.
    Corpus("th-pantip-complaints", "th", "sentiment",
           {"negative": "negative", "neutral": "neutral", "positive": "positive", "question": "question"},
           weight=3.0, evaluated=False, field="sentiment"),
    Corpus("en-airline", "en", "sentiment", {"negative": "negative", "neutral": "neutral", "positive": "positive"}),
    Corpus("en-complaints", "en", "complaint", {"complaint": 1, "not_complaint": 0}),
    # Weak extra complaint data: a negative tweet to an airline is nearly always a complaint. Weight 0.3
    # was picked on en-complaints dev (complaint F1 0.72 → 0.75).
    Corpus("en-airline", "en", "complaint", {"negative": 1, "neutral": 0, "positive": 0}, weight=0.3,
           evaluated=False),
    Corpus("zh-chnsenticorp", "zh", "sentiment", {"negative": "negative", "positive": "positive"}),
    Corpus("zh-waimai10k", "zh", "sentiment", {"negative": "negative", "positive": "positive"}),
    Corpus("zh-online-shopping", "zh", "sentiment", {"negative": "negative", "positive": "positive"}),
)
BY_NAME = {c.name: c for c in CORPORA if c.evaluated}
# The kind of text of each complaint corpus: a second stage trained on one kind re-scores only that kind.
KIND_OF: dict[str, str] = {"th-truevoice-intent": "call-centre", "th-pantip-complaints": "forum"}

# Label spellings seen in other files, for `evaluate --data` on a file of unknown origin.
SENTIMENT_SYNONYMS: dict[str, str] = {
    "pos": "positive", "positive": "positive", "neu": "neutral", "neutral": "neutral",
    "neg": "negative", "negative": "negative", "q": "question", "question": "question",
}
COMPLAINT_SYNONYMS: dict[str, int] = {"complaint": 1, "not_complaint": 0, "report": 1}


def read_jsonl(path: str | Path) -> Iterator[tuple[str, str]]:
    """(text, label) pairs of a JSONL file in the shared data format."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                yield row["text"], str(row["label"])


def load_split(data_dir: str | Path, corpus: Corpus, split: str) -> tuple[list[str], list[str | int]]:
    """Texts and mapped targets of one split of one corpus (a forum comment in its thread)."""
    texts: list[str] = []
    targets: list[str | int] = []
    with open(Path(data_dir) / corpus.name / f"{split}.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                comment = row.get("kind") == "comment"
                texts.append(in_thread(row["text"], row.get("thread_title")) if comment else row["text"])
                targets.append(corpus.mapping[str(row[corpus.field])])
    return texts, targets
