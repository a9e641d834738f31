"""Safe building blocks for Slack message text: escaping, links, mentions and length limits.

Everything that came from a post (title, excerpt, author, reason) is untrusted: a post containing
``<!channel>`` must not page a whole customer-care channel at 3 a.m. Slack only turns ``<...>`` sequences
into mentions and links, so escaping ``&``, ``<`` and ``>`` makes them inert; bare ``@channel`` / ``@here``
get a word joiner so clients that auto-link them (link_names) do not either. Mentions are only ever built
from configured Slack ids.

Escaping also strips bidi controls (U+202E can make ``exe.TXT`` read ``TXT.exe``) and control characters
(NUL, BEL, …), keeping newlines, tabs, Thai combining marks and the joiners, variation selectors and tag
characters that emoji sequences are made of. Every link shows the host it opens; a label that itself looks
like an address is shown defanged (``kasikornbank[.]com``) beside a link labelled with the real host.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

ELLIPSIS = "…"
HEADER_LIMIT = 150  # Slack: header block text
SECTION_LIMIT = 3000  # Slack: section text
FIELD_LIMIT = 2000  # Slack: each section field
CONTEXT_LIMIT = 2000  # our cap for context elements, well inside Slack's
BUTTON_LIMIT = 75  # Slack: button text
OPTION_LIMIT = 75  # Slack: the text of a menu option
MAX_BLOCKS = 50  # Slack: blocks per message
TEXT_LIMIT = 40_000  # Slack: message text

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_OPEN_LINK = re.compile(r"<[^>]*$")  # raw "<" only ever starts a link or mention: all text "<" is escaped
LINK_TARGET_LIMIT = 2500  # a longer address cannot share a 3,000-character section with its label
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = frozenset("\ufeff\u200b\u2060\ufff9\ufffa\ufffb")  # BOM, zero-width space, word joiner, annotations
_KEEP = frozenset("\n\t")
# scheme://, www., or name.tld (Thai letters count: "ธนาคาร.com")
_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://|\bwww\.|[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)


def strip_controls(text: str) -> str:
    """Drop bidi controls, control characters, lone surrogates and invisible format characters."""
    if text.isprintable():
        return text
    return "".join(ch for ch in text if ch in _KEEP or not _is_hostile(ch))


def _is_hostile(ch: str) -> bool:
    if ch in _BIDI or ch in _INVISIBLE:
        return True
    return unicodedata.category(ch) in ("Cc", "Cs")  # unassigned code points may be newer emoji: kept


def escape(text: str) -> str:
    """Make untrusted text inert in Slack mrkdwn and plain_text."""
    text = strip_controls(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)


def escape_plain(text: str) -> str:
    """Make untrusted text inert in a ``plain_text`` object (headers, buttons).

    plain_text never forms mentions, but some clients show HTML entities there literally, so instead of
    ``&lt;`` the angle brackets become look-alike quotation marks: readable, and inert anywhere the text
    is later copied.
    """
    text = strip_controls(text).replace("<", "‹").replace(">", "›")
    return _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis when it was cut.

    Never leaves half an HTML entity (``&am``) behind, which Slack would show as garbage, nor half a
    ``<link|label>``: a link that does not fit is left out whole, so no link ever opens a cut address.
    """
    if len(text) <= limit:
        return text
    cut = _OPEN_LINK.sub("", text[: limit - len(ELLIPSIS)])
    cut = _PARTIAL_ENTITY.sub("", cut)
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


def display_host(url: str) -> str:
    """The host a link opens, as ASCII (a look-alike Unicode host shows as ``xn--…``)."""
    host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def looks_like_address(text: str) -> bool:
    return _ADDRESS.search(text) is not None


def defang(text: str) -> str:
    """``www.bank.com`` → ``www[.]bank[.]com``: still readable, and no client turns it into a link."""
    return text.replace("://", "[://]").replace(".", "[.]")


def link(url: str, label: str) -> str:
    """``<url|label · host>``, the label escaped; just the label when the URL is not http(s).

    A label that looks like an address is never link text: it is shown defanged, and the link reads the
    real host. An address too long to fit a Slack section is named by its host, never cut.
    """
    text = escape(one_line(label)).replace("|", "¦")
    target = safe_url(url)
    if target is None:
        return text or "link"
    host = escape(display_host(url))
    if len(target) > LINK_TARGET_LIMIT:
        return f"{defang(text) if looks_like_address(label) else text} ({host}; the address is too long to link)"
    if looks_like_address(label):
        return f"{defang(text)} <{target}|{host}>"
    return f"<{target}|{text} · {host}>" if text and text != host else f"<{target}|{host}>"


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
