"""Safe building blocks for Slack message text: escaping, links, mentions and length limits.

Everything that came from a post (title, excerpt, author, reason) is untrusted: a post containing
``<!channel>`` must not page a whole customer-care channel at 3 a.m. Slack only turns ``<...>`` sequences
into mentions and links, so escaping ``&``, ``<`` and ``>`` makes them inert; bare ``@channel`` / ``@here``
get a word joiner so clients that auto-link them (link_names) do not either. Mentions are only ever built
from configured Slack ids.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

ELLIPSIS = "…"
HEADER_LIMIT = 150  # Slack: header block text
SECTION_LIMIT = 3000  # Slack: section text
FIELD_LIMIT = 2000  # Slack: each section field
CONTEXT_LIMIT = 2000  # our cap for context elements, well inside Slack's
BUTTON_LIMIT = 75  # Slack: button text
MAX_BLOCKS = 50  # Slack: blocks per message
TEXT_LIMIT = 40_000  # Slack: message text

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Make untrusted text inert in Slack mrkdwn and plain_text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)


def escape_plain(text: str) -> str:
    """Make untrusted text inert in a ``plain_text`` object (headers, buttons).

    plain_text never forms mentions, but some clients show HTML entities there literally, so instead of
    ``&lt;`` the angle brackets become look-alike quotation marks: readable, and inert anywhere the text
    is later copied.
    """
    text = text.replace("<", "‹").replace(">", "›")
    return _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis when it was cut.

    Never leaves half an HTML entity (``&am``) behind, which Slack would show as garbage.
    """
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - len(ELLIPSIS)])
    return cut.rstrip() + ELLIPSIS


def one_line(text: str) -> str:
    """Collapse whitespace, for titles and reasons that must stay on one line."""
    return " ".join(text.split())


def safe_url(url: str) -> str | None:
    """The URL ready for ``<url|label>``, or None when it is not a plain http(s) link."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Slack ends the URL at "|" or ">", so these (and spaces) are percent-encoded; "&" is escaped as Slack asks.
    url = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    return url.replace("&", "&amp;")


def link(url: str, label: str) -> str:
    """``<url|label>`` with the label escaped; just the escaped label when the URL is not http(s)."""
    text = escape(one_line(label)).replace("|", "¦") or "link"
    target = safe_url(url)
    return f"<{target}|{text}>" if target else text


def is_mention_id(ident: str) -> bool:
    """A Slack user id (``U…``/``W…``) or user-group id (``S…``): the only mentions ever built."""
    ident = ident.strip()
    return bool(_USER_ID.match(ident) or _GROUP_ID.match(ident))


def mentions(ids: tuple[str, ...] | list[str]) -> str:
    """``<@U…>`` for users and ``<!subteam^S…>`` for user groups; anything else is dropped."""
    out = []
    for raw in ids:
        ident = raw.strip()
        if _USER_ID.match(ident):
            out.append(f"<@{ident}>")
        elif _GROUP_ID.match(ident):
            out.append(f"<!subteam^{ident}>")
    return " ".join(out)


def plain(text: str, limit: int) -> dict[str, object]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def md(text: str, limit: int = SECTION_LIMIT) -> dict[str, object]:
    return {"type": "mrkdwn", "text": clip(text, limit)}
