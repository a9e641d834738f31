"""Oversized posts still render into a message Slack accepts: every limit holds and cuts end with '…'."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerts.render import render
from tests.alerts.examples import GOLDEN, THAI_NEW

HUGE = replace(
    THAI_NEW,
    title="ร้องเรียน & <ด่วน> " * 60,
    excerpt=("คอลเซ็นเตอร์ไม่รับสาย & ไม่มีใครตอบ <ช่วยด้วย> " * 400 + "\n") * 3,
    reason="เหตุผล & " * 500,
)
MANY = replace(GOLDEN["digest"], items=(HUGE,) * 200)
TOP = replace(GOLDEN["summary"], items=(HUGE,) * 200)


def _texts(blocks: list[dict]) -> list[tuple[str, str]]:
    out = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            out.append((block["type"], block["text"]["text"]))
        for field in block.get("fields", []):
            out.append(("field", field["text"]))
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                out.append(("context", element["text"]))
    return out


LIMITS = {"header": 150, "section": 3000, "field": 2000, "context": 2000}


@pytest.mark.parametrize("alert", [HUGE, replace(HUGE, kind="reply"), replace(HUGE, kind="escalation"), MANY, TOP],
                         ids=["new", "reply", "escalation", "digest", "summary"])
def test_every_slack_limit_holds(alert) -> None:
    message = render(alert)
    assert len(message.blocks) <= 50
    assert len(message.text) <= 40_000
    for kind, text in _texts(message.blocks):
        assert len(text) <= LIMITS[kind], (kind, len(text))
        assert "&am…" not in text and "&l…" not in text  # no half-cut entities


def test_cut_text_ends_with_an_ellipsis_and_the_link_survives() -> None:
    message = render(HUGE)
    header = message.blocks[0]["text"]["text"]
    assert header.endswith("…") and len(header) <= 150
    assert message.blocks[1]["text"]["text"].startswith("*<https://pantip.com/topic/42424242|Open on pantip · pantip.com>*")


def test_long_digest_says_how_many_were_left_out() -> None:
    message = render(MANY)
    assert len(message.blocks) <= 50
    assert "more" in message.blocks[-1]["elements"][0]["text"]
    assert "200 alerts" in message.text


def test_summary_top_threads_never_cut_a_link_in_half() -> None:
    section = render(TOP).blocks[-1]["text"]["text"]
    assert section.count("<https://") == section.count("|")  # every link opened is closed with its label
    assert section.rstrip().split("\n")[-1].startswith("…and")
