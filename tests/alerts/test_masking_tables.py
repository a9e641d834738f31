"""Masking against the tables in tests/alerts/masking/ (see its README): recall on personal data written every
way people write it, and false hits on ordinary numbers. Prints both figures (pytest -s shows them)."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

from alerts.privacy import mask_personal_data

TABLES = Path(__file__).parent / "masking"
MIN_RECALL = 0.98
MAX_FALSE_HITS = 0.02


def _rows(name: str) -> list[dict[str, str]]:
    with (TABLES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _core(text: str) -> str:
    """Letters and digits only, digits in ASCII: what would still identify someone."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch.lower() for ch in text if ch.isalnum())


def leaks(text: str, secret: str) -> bool:
    """True when any 5 consecutive letters/digits of the secret survive masking (081-234-56 counts as a leak)."""
    masked = _core(re.sub(r"\[[a-z-]+\]", " ", mask_personal_data(text)))
    core = _core(secret)
    window = min(5, len(core))
    return any(core[i:i + window] in masked for i in range(len(core) - window + 1))


def test_personal_data_recall() -> None:
    rows = _rows("personal.tsv")
    assert len(rows) >= 200
    missed = [row for row in rows if leaks(row["text"], row["secret"])]
    recall = 1 - len(missed) / len(rows)
    print(f"\nmasking recall {recall:.3f} ({len(rows) - len(missed)}/{len(rows)}); missed: "
          + "; ".join(f"{r['kind']}: {r['text']!r}" for r in missed))
    assert recall >= MIN_RECALL


def test_ordinary_numbers_false_hits() -> None:
    rows = _rows("ordinary.tsv")
    assert len(rows) >= 100
    hit = [row for row in rows if mask_personal_data(row["text"]) != row["text"]]
    rate = len(hit) / len(rows)
    print(f"\nmasking false hits {rate:.3f} ({len(hit)}/{len(rows)}): "
          + "; ".join(f"{r['text']!r} -> {mask_personal_data(r['text'])!r}" for r in hit))
    assert rate <= MAX_FALSE_HITS
