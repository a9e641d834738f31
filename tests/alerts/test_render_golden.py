"""Block Kit output per alert kind, compared with reviewed golden JSON files.

Run with ``UPDATE_GOLDEN=1`` to rewrite the files after an intended layout change, then review the diff.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

from alerts.render import render
from tests.alerts.examples import GOLDEN

GOLDEN_DIR = Path(__file__).parent / "golden"


def _check(name: str, payload: dict) -> None:
    path = GOLDEN_DIR / f"{name}.json"
    text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert json.loads(path.read_text(encoding="utf-8")) == payload


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_render_matches_golden(name: str) -> None:
    _check(name, asdict(render(GOLDEN[name])))


def test_interactive_card_matches_golden() -> None:
    _check("new_thai_interactive", asdict(render(GOLDEN["new_thai"], interactive=True)))
