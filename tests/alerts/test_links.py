"""Links in every message kind show the host they open; a title that looks like an address is never link text;
a long address is never cut; bidi and control characters never reach Slack, while Thai marks and emoji stay whole."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from alerts.console import format_alert
from alerts.mrkdwn import SECTION_LIMIT, safe_url
from alerts.render import render
from tests.alerts.examples import DIGEST, SUMMARY, THAI_NEW, THAI_REPLY, THAI_UPDATE

PHISH = "https://evil.example/phish"
LOOKALIKE = "https://www.kasikornbank.com/th/login"
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")


def _links(alert) -> list[tuple[str, str]]:
    return _LINK.findall(json.dumps(render(alert).blocks, ensure_ascii=False))


def _spoofed(**changes: object) -> dict[str, object]:
    return {"new": replace(THAI_NEW, **changes), "update": replace(THAI_UPDATE, **changes),
            "reply": replace(THAI_REPLY, **changes),
            "digest": replace(DIGEST, items=(replace(THAI_NEW, **changes),)),
            "summary": replace(SUMMARY, items=(replace(THAI_UPDATE, **changes),))}


@pytest.mark.parametrize("kind", ["new", "update", "reply", "digest", "summary"])
def test_every_link_shows_the_host_it_opens(kind: str) -> None:
    alert = _spoofed(url=PHISH, title=LOOKALIKE)[kind]
    links = _links(alert)
    assert links, "the message has a link"
    for target, label in links:
        assert urlsplit(target).hostname in label, (target, label)
        assert "kasikornbank" not in label


@pytest.mark.parametrize("kind", ["digest", "summary"])
def test_a_title_that_looks_like_an_address_is_shown_defanged_not_as_a_link(kind: str) -> None:
    text = json.dumps(render(_spoofed(url=PHISH, title=LOOKALIKE)[kind]).blocks, ensure_ascii=False)
    assert "<https://evil.example/phish|evil.example>" in text
    assert "www.kasikornbank.com" not in text and "kasikornbank[.]com" in text  # readable, and Slack will not link it


def test_an_ordinary_title_stays_the_link_text_with_its_host() -> None:
    [(target, label)] = _links(replace(DIGEST, items=(THAI_NEW,)))
    assert target == THAI_NEW.url and label == f"{THAI_NEW.title} · pantip.com"


def test_a_long_address_is_never_cut_the_text_around_it_is() -> None:
    url = "https://pantip.com/topic/43600001?" + "&".join(f"utm_{i}=" + "ก" * 20 for i in range(10))
    alert = replace(THAI_NEW, url=url, excerpt="ยาวมาก " * 400)
    section = render(alert).blocks[1]["text"]["text"]
    assert len(section) <= SECTION_LIMIT
    assert f"<{safe_url(url)}|" in section  # the whole target, exactly
    assert section.endswith("…")  # the excerpt gave way


def test_an_address_too_long_for_slack_is_named_not_broken() -> None:
    url = "https://pantip.com/topic/1?q=" + "x" * 4000
    section = render(replace(THAI_NEW, url=url)).blocks[1]["text"]["text"]
    assert "<https://" not in section and "pantip.com" in section


HOSTILE = "ปกติ\u202eTXT EXE\u202c ok\x00\x07\u2066x\u2069\u200f\ufeff"
KEPT = "น้ำท่วมที่ทำงาน 👨‍👩‍👧 🏴󠁧󠁢󠁳󠁣󠁴󠁿 ❤️"


@pytest.mark.parametrize("kind", ["new", "update", "reply", "digest", "summary"])
def test_bidi_and_control_characters_are_stripped_marks_and_emoji_stay(kind: str) -> None:
    alert = _spoofed(title=f"{HOSTILE} {KEPT}", excerpt=f"{HOSTILE}\n{KEPT}", reason=HOSTILE)[kind]
    rendered = render(alert)
    text = json.dumps([rendered.text, rendered.blocks], ensure_ascii=False)
    for bad in ("\u202e", "\u202c", "\\u0000", "\\u0007", "\u2066", "\u2069", "\u200f", "\ufeff"):
        assert bad not in text, repr(bad)
    assert KEPT in text and "TXT EXE" in text


def test_the_console_strips_them_too() -> None:
    out = format_alert(replace(THAI_NEW, title=HOSTILE + KEPT, excerpt=HOSTILE))
    assert "\u202e" not in out and "\x00" not in out and KEPT in out
