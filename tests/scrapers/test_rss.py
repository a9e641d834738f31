"""RSS, Atom and Google News scrapers on synthetic feeds over real HTTP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from scrapers.base import ScrapeError
from scrapers.google_news import GoogleNewsOptions, GoogleNewsScraper, search_url
from scrapers.http import HttpClient, HttpPolicy
from scrapers.rss import RssOptions, RssScraper, parse_feed
from tests.fixture_server import FIXTURES, Answer, FixtureServer

RSS = FIXTURES / "rss"
GNEWS = RSS / "google_news_search_th_synthetic.xml"
ATOM = RSS / "brand_blog_atom_synthetic.xml"


def client() -> HttpClient:
    return HttpClient(HttpPolicy(rate_per_host=0, backoff_base_s=0.01, timeout_s=5), sleep=lambda s: None)


def test_parse_google_news_rss() -> None:
    posts = parse_feed(GNEWS.read_bytes(), "gnews", "google_news")
    assert [p.external_id for p in posts] == ["CBMiSYNTHETIC0001", "CBMiSYNTHETIC0002", "CBMiSYNTHETIC0003"]
    first = posts[0]
    assert first.title == "ลูกค้าร้องเรียนค่าบริการเสริม ทรูมูฟ เอช หักเงินไม่แจ้ง - ข่าวตัวอย่างรายวัน"
    assert first.url == "https://news.google.com/rss/articles/CBMiSYNTHETIC0001?oc=5"
    assert first.text.startswith("ลูกค้าร้องเรียนค่าบริการเสริม") and "<a" not in first.text
    assert first.author == "ข่าวตัวอย่างรายวัน" and first.lang == "th" and first.kind == "google_news"
    assert first.posted_at == datetime(2024, 7, 1, 8, 30, tzinfo=timezone.utc)
    assert posts[2].posted_at == datetime(2024, 6, 30, 7, 0, tzinfo=timezone.utc)  # +0700 → UTC


def test_parse_atom() -> None:
    posts = parse_feed(ATOM.read_bytes(), "blog")
    assert [p.external_id for p in posts] == ["tag:blog.example.tw,2024:post-1042", "tag:blog.example.tw,2024:post-1041"]
    first, second = posts
    assert first.title == "客服電話一直打不通，退款拖了三週" and first.text == "訂單取消後退款一直沒有入帳。"
    assert first.author == "小林" and first.lang == "zh" and first.tags == ("客訴",)
    assert first.posted_at == datetime(2024, 7, 1, 1, 30, tzinfo=timezone.utc)
    assert second.posted_at == datetime(2024, 6, 28, 20, 0, tzinfo=timezone.utc)  # only <updated>
    assert second.text == "外觀很漂亮。"


def test_not_a_feed() -> None:
    with pytest.raises(ScrapeError):
        parse_feed(b"<html><body>consent</body></html>", "x")


def test_rss_scraper_dedupes_and_uses_conditional_get(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/feed.xml", file=ATOM, headers={"ETag": '"a1"'})
    scraper = RssScraper("blog", RssOptions(urls=["/feed.xml"], base_url=fixture_server.base_url), client())
    first = scraper.fetch(None)
    assert len(first.posts) == 2
    # The feed changes (new validator) but lists the same entries: nothing new.
    fixture_server.add("GET", "/feed.xml", file=ATOM, headers={"ETag": '"a2"'})
    again = scraper.fetch(json.loads(json.dumps(first.cursor)))
    assert again.posts == [] and fixture_server.requests_to("/feed.xml")[1].headers["if-none-match"] == '"a1"'
    fixture_server.add("GET", "/feed.xml", status=304, headers={"ETag": '"a2"'})
    unchanged = scraper.fetch(again.cursor)
    assert unchanged.posts == [] and unchanged.pages_read == 1


def test_google_news_builds_edition_urls(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/rss/search", file=GNEWS, query={"hl": "th"})
    fixture_server.add("GET", "/rss/search", file=ATOM, query={"hl": "en-US"})
    options = GoogleNewsOptions(queries=['"ทรูมูฟ"'], editions=["th", "en"], base_url=fixture_server.base_url)
    result = GoogleNewsScraper("gnews", options, client()).fetch(None)
    assert len(result.posts) == 5 and {p.kind for p in result.posts} == {"google_news"}
    th, en = fixture_server.requests_to("/rss/search")
    assert (th.param("q"), th.param("gl"), th.param("ceid")) == ('"ทรูมูฟ"', "TH", "TH:th")
    assert (en.param("hl"), en.param("ceid")) == ("en-US", "US:en")


def test_google_news_url_and_editions() -> None:
    assert search_url("https://news.google.com", "AIS", "zh-CN", "7d") == (
        "https://news.google.com/rss/search?q=AIS+when%3A7d&hl=zh-CN&gl=CN&ceid=CN%3Azh-Hans")
    with pytest.raises(ValueError, match="valid"):
        GoogleNewsScraper("g", GoogleNewsOptions(editions=["fr"]), client())


def test_one_feed_down_does_not_stop_the_others(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/ok.xml", file=ATOM)
    fixture_server.add("GET", "/gone.xml", status=410)
    options = RssOptions(urls=["/gone.xml", "/ok.xml"], base_url=fixture_server.base_url)
    result = RssScraper("feeds", options, client()).fetch(None)
    assert len(result.posts) == 2 and "410" in result.errors[0]


def _feed(*entries: tuple[str, timedelta]) -> str:
    now = datetime.now(timezone.utc)
    items = "".join(f"<item><guid>{guid}</guid><title>{guid}</title><pubDate>{format_datetime(now - age)}</pubDate>"
                    f"</item>" for guid, age in entries)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def test_rss_backfill_hours_skips_old_entries_on_the_first_read_only(fixture_server: FixtureServer) -> None:
    fixture_server.add_sequence("GET", "/feed.xml", [
        Answer.text(_feed(("fresh", timedelta(hours=1)), ("old", timedelta(hours=48))), content_type="application/rss+xml"),
        Answer.text(_feed(("newer", timedelta(minutes=5)), ("fresh", timedelta(hours=1)), ("old", timedelta(hours=48))),
                    content_type="application/rss+xml"),
    ])
    scraper = RssScraper("feed", RssOptions(urls=["/feed.xml"], base_url=fixture_server.base_url, backfill_hours=24),
                         HttpClient(HttpPolicy(rate_per_host=0), sleep=lambda s: None))
    first = scraper.fetch(None)
    assert [p.external_id for p in first.posts] == ["fresh"]
    assert [p.external_id for p in scraper.fetch(first.cursor).posts] == ["newer"]  # "old" is never news
