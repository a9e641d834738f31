"""Google News search feeds (kind "google_news"): one RSS search per query and language edition.

Reads the source options `queries` (built by the listener from watchlist terms), `editions`
(`th`, `en`, `zh-TW`, `zh-CN`), `base_url` (default `https://news.google.com`) and `when`
(an optional recency filter such as `7d`, appended as Google's `when:` operator). Parsing, dedupe
and conditional GET are those of the RSS scraper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import urlencode

from scrapers.base import Clock, wall_clock
from scrapers.http import HttpClient
from scrapers.rss import RssScraper

# hl / gl / ceid per edition, as Google's own edition links spell them (research/sources.md §2).
EDITIONS: dict[str, tuple[str, str, str]] = {
    "th": ("th", "TH", "TH:th"),
    "en": ("en-US", "US", "US:en"),
    "zh-TW": ("zh-TW", "TW", "TW:zh-Hant"),
    "zh-CN": ("zh-CN", "CN", "CN:zh-Hans"),
}
EDITIONS["zh"] = EDITIONS["zh-TW"]


@dataclass
class GoogleNewsOptions:
    queries: list[str] = field(default_factory=list)
    editions: list[str] = field(default_factory=lambda: ["th"])
    base_url: str = "https://news.google.com"
    when: str = ""  # e.g. "7d": only stories from the last week
    backfill_hours: float | None = None  # first read of each search: skip older stories (None: all listed)


class GoogleNewsScraper(RssScraper):
    kind: ClassVar[str] = "google_news"
    Options: ClassVar[type] = GoogleNewsOptions

    def __init__(self, name: str, options: GoogleNewsOptions, http: HttpClient, *, clock: Clock = wall_clock) -> None:
        unknown = [e for e in options.editions if e not in EDITIONS]
        if unknown:
            raise ValueError(f"unknown Google News edition(s) {unknown}; valid: {sorted(EDITIONS)}")
        self.name, self.options, self.http = name, options, http  # type: ignore[assignment]
        self.clock = clock

    def feed_urls(self) -> list[str]:
        return [search_url(self.options.base_url, q, e, self.options.when)  # type: ignore[attr-defined]
                for q in self.options.queries for e in self.options.editions]  # type: ignore[attr-defined]


def search_url(base_url: str, query: str, edition: str, when: str = "") -> str:
    hl, gl, ceid = EDITIONS[edition]
    q = f"{query} when:{when}" if when else query
    return f"{base_url.rstrip('/')}/rss/search?" + urlencode({"q": q, "hl": hl, "gl": gl, "ceid": ceid})
