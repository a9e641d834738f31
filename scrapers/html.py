"""HTML helpers (the only home of `bs4` and the choice of the lxml parser). Reads no config keys.

Scrapers call `parse_html` on response text and `text_of` / `select_one_text` on elements, so the
parser choice and whitespace rules are the same for every source.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

__all__ = ["Tag", "attr_of", "html_to_text", "parse_html", "select_one_text", "text_of"]

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def parse_html(body: str | bytes) -> BeautifulSoup:
    # lxml is fast and forgiving with the unclosed tags forum pages are full of.
    return BeautifulSoup(body, "lxml")


def text_of(element: Tag | None) -> str:
    """Visible text with `<br>` kept as line breaks and runs of spaces collapsed."""
    if element is None:
        return ""
    for br in element.find_all("br"):
        br.replace_with("\n")
    text = _SPACES.sub(" ", element.get_text())
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment such as a comment `message` from a JSON API."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    return text_of(parse_html(f"<div>{fragment}</div>").div)


def select_one_text(root: Tag, selector: str) -> str:
    return text_of(root.select_one(selector)) if selector else ""


def attr_of(element: Tag | None, name: str) -> str:
    if element is None:
        return ""
    value = element.get(name)
    if isinstance(value, list):
        return " ".join(value)
    return value or ""
