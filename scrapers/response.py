"""The `Response` that `HttpClient` returns: bytes plus decoding that copes with what sources send.

Thai sites still serve TIS-620/windows-874 pages, Pantip's JSON starts with a UTF-8 byte-order mark,
and an API behind a consent wall or an error page answers HTML where JSON was expected; all of that
is handled here so scrapers see either text/data or a `ScrapeError`. Reads no config keys.
"""

from __future__ import annotations

import codecs
import json as jsonlib
import re
from dataclasses import dataclass, field
from typing import Any

from scrapers.base import ScrapeError

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"<\?xml[^>]+encoding\s*=\s*[\"']([\w.:-]+)", re.I)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        found = codecs.lookup(name.strip().lower().replace("windows-874", "cp874")).name
    except LookupError:
        return None
    # TIS-620 pages routinely contain windows-874 extras (smart quotes, ellipsis); cp874 is a superset.
    return "cp874" if found in ("tis-620", "iso8859-11") else found


def sniff_charset(content: bytes, content_type: str = "") -> str | None:
    """Charset from the Content-Type header, else from a `<meta>` tag or an XML declaration."""
    match = _CHARSET_PARAM.search(content_type)
    if match and _codec(match.group(1)):
        return _codec(match.group(1))
    head = content[:4096]
    found = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return _codec(found.group(1).decode("ascii", "ignore")) if found else None


def decode_body(content: bytes, content_type: str = "") -> str:
    """Bytes to text: a BOM wins (and is stripped), then the declared charset, then UTF-8, then cp874.

    UTF-8 with a few broken sequences (a comment cut mid-character) stays UTF-8, the broken bytes
    replaced by U+FFFD: read as cp874 instead, the whole page would turn into mojibake, stored for good."""
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(codec, "replace")
    declared = sniff_charset(content, content_type)
    for codec in (declared, "utf-8", "cp874"):
        if codec is None:
            continue
        try:
            return content.decode(codec)
        except (UnicodeDecodeError, LookupError):
            if codec == "utf-8" and (mended := _mostly_utf8(content)) is not None:
                return mended
            continue
    return content.decode(declared or "utf-8", "replace")


def _mostly_utf8(content: bytes) -> str | None:
    """The UTF-8 reading of `content` when its valid multi-byte characters far outnumber its broken
    sequences (TIS-620 Thai read as UTF-8 is almost all broken sequences), else None."""
    text = content.decode("utf-8", "replace")
    broken = text.count("\ufffd") - content.count("\ufffd".encode("utf-8"))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    good = non_ascii - broken
    return text if good > 0 and good >= 4 * broken else None


@dataclass(frozen=True)
class Response:
    """A finished HTTP exchange. `not_modified` is true for a 304 answer to a conditional GET."""

    status: int
    url: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    not_modified: bool = False

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def text(self) -> str:
        return decode_body(self.content, self.content_type)

    def json(self) -> Any:
        """Parsed JSON; `ScrapeError` on an empty body, HTML instead of JSON, or invalid JSON."""
        text = self.text().strip()
        if not text:
            raise ScrapeError("empty body where JSON was expected", url=self.url)
        if text.startswith("<"):
            # A login wall, consent page or error page: the source changed what it serves.
            raise ScrapeError(f"HTML instead of JSON (HTTP {self.status})", url=self.url, layout_changed=True)
        try:
            return jsonlib.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting thousands of levels deep
            raise ScrapeError(f"invalid JSON: {exc}", url=self.url) from exc
