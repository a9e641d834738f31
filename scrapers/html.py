"""HTML helpers (the only home of `bs4` and the choice of the lxml parser). Reads no config keys.

Scrapers call `parse_html` on response text and `text_of` / `select_one_text` on elements, so the
parser choice and whitespace rules are the same for every source.
"""

from __future__ import annotations

import html
import html.entities
import re
from typing import Callable, Mapping

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.filter import ElementFilter

__all__ = ["Keep", "Tag", "attr_of", "classes_of", "html_to_text", "parse_html", "select_one_text", "text_of"]

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_SURROGATE = re.compile("[\ud800-\udfff]")


# (tag name, raw attributes) -> keep this element and everything inside it?
Keep = Callable[[str, Mapping[str, object]], bool]


class _KeepOnly(ElementFilter):
    """Builds tree objects only for the elements `keep` accepts (with their whole subtrees); lxml still reads
    the whole page, but the costly part, making Python objects for every node, is skipped for the rest."""

    def __init__(self, keep: Keep) -> None:
        super().__init__()
        self.keep = keep

    @property
    def includes_everything(self) -> bool:
        return False

    def allow_tag_creation(self, nsprefix: str | None, name: str, attrs: Mapping[str, object] | None) -> bool:
        return self.keep(name, attrs or {})

    def allow_string_creation(self, string: str) -> bool:
        return False  # text outside every kept element


def parse_html(body: str | bytes, only: Keep | None = None) -> BeautifulSoup:
    """The document tree; with `only`, just the elements it accepts, as children of the root in page order."""
    if isinstance(body, str) and _SURROGATE.search(body):
        # lxml cannot encode a lone surrogate (a JSON API may send "\\ud800") and would raise.
        body = _SURROGATE.sub("\ufffd", body)
    # lxml is fast and forgiving with the unclosed tags forum pages are full of.
    return BeautifulSoup(body, "lxml", parse_only=_KeepOnly(only) if only else None)


def classes_of(attrs: Mapping[str, object]) -> set[str]:
    """The `class` names among raw attributes, as `only` filters of `parse_html` receive them."""
    value = attrs.get("class") or ""
    return set(value.split() if isinstance(value, str) else value)  # type: ignore[arg-type]


def text_of(element: Tag | None) -> str:
    """Visible text with `<br>` kept as line breaks and runs of spaces collapsed.

    One pass over the subtree, leaving it as it is: replacing each `<br>` in the tree costs a search of
    its parent's children, so a page of 10,000 `<br>`s took seconds."""
    if element is None:
        return ""
    wanted = element.interesting_string_types or Tag.MAIN_CONTENT_STRING_TYPES  # what get_text() reads
    parts: list[str] = []
    for node in element.descendants:
        if isinstance(node, NavigableString):
            if type(node) is wanted if isinstance(wanted, type) else type(node) in wanted:
                parts.append(node)
        elif node.name == "br":
            parts.append("\n")
    return _tidy("".join(parts))


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment such as a comment `message` from a JSON API."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    if _BR_AND_ENTITIES_ONLY.fullmatch(fragment):
        text = _plain_text(fragment)
        if text is not None:
            return text
    return text_of(parse_html(f"<div>{fragment}</div>").div)


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# Most comments are text with line breaks and a few entities; building a tree for those costs more than the
# rest of their parsing. This path gives the same text as the parser, so it excludes what lxml rewrites:
# carriage returns and control characters (normalised or dropped) and any other markup.
_BR_AND_ENTITIES_ONLY = re.compile(
    r"(?:[^<&\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
    r"|<br\s*/?>|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,7});)*", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_ENTITY = re.compile(r"&#?[0-9a-zA-Z]+;")


def _plain_text(fragment: str) -> str | None:
    """`fragment`'s text with `<br>` as line breaks, or None for an entity lxml would treat otherwise."""
    decoded = []
    for entity in _ENTITY.findall(fragment):
        if entity[1] == "#":
            point = int(entity[3:-1], 16) if entity[2] in "xX" else int(entity[2:-1])
            if not _keeps_code_point(point):
                return None
        elif entity[1:-1] not in _KNOWN_ENTITIES:  # HTML5-only names stay literal in lxml
            return None
        decoded.append(html.unescape(entity))
    parts = _ENTITY.split(_BR.sub("\n", fragment))
    return _tidy("".join(p + d for p, d in zip(parts, decoded + [""])))


def _keeps_code_point(point: int) -> bool:
    """Whether lxml turns `&#point;` into that very character (not controls, surrogates, non-characters)."""
    if point in (9, 10):
        return True
    return (32 <= point <= 0x10FFFF and point != 127 and not 0xD800 <= point <= 0xDFFF
            and not 0xFDD0 <= point <= 0xFDEF and point & 0xFFFE != 0xFFFE)


_KNOWN_ENTITIES = frozenset(html.entities.name2codepoint) | {"apos"}


def select_one_text(root: Tag, selector: str) -> str:
    return text_of(root.select_one(selector)) if selector else ""


def attr_of(element: Tag | None, name: str) -> str:
    if element is None:
        return ""
    value = element.get(name)
    if isinstance(value, list):
        return " ".join(value)
    return value or ""
