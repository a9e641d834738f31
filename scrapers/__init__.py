"""Scrapers: one module per source kind, all built the same way.

`REGISTRY` maps each config `kind` to its class. Every class is constructed as
`Cls(name, options, http, clock=clock)` where `options` is an instance of `Cls.Options` (a stdlib dataclass
with defaults and a `base_url` field; the listener validates the YAML section against it), `http` is
the shared `scrapers.http.HttpClient` and `clock` the listener's clock (`scrapers.base.Clock`, default the
wall clock); it has `kind`, `fetch(cursor)` and `fetch_thread(id, cursor)`.
Reads no config keys itself.
"""

from __future__ import annotations

from scrapers.forum import ForumScraper
from scrapers.google_news import GoogleNewsScraper
from scrapers.pantip import PantipScraper
from scrapers.rss import RssScraper
from scrapers.bluesky import BlueskyScraper
from scrapers.facebook import FacebookScraper
from scrapers.mastodon import MastodonScraper
from scrapers.reddit import RedditScraper
from scrapers.weibo import WeiboScraper
from scrapers.x import XScraper
from scrapers.youtube import YoutubeScraper

# One explicit line per kind, so grep finds every source.
REGISTRY: dict[str, type] = {}
REGISTRY["pantip"] = PantipScraper
REGISTRY["rss"] = RssScraper
REGISTRY["google_news"] = GoogleNewsScraper
REGISTRY["forum"] = ForumScraper
REGISTRY["facebook"] = FacebookScraper
REGISTRY["youtube"] = YoutubeScraper
REGISTRY["x"] = XScraper
REGISTRY["reddit"] = RedditScraper
REGISTRY["mastodon"] = MastodonScraper
REGISTRY["bluesky"] = BlueskyScraper
REGISTRY["weibo"] = WeiboScraper
