"""Weibo posts cut in the feed (`isLongText`) are completed from `statuses/extend`, within a budget."""

from __future__ import annotations

import pytest

from scrapers.base import ScrapeError
from scrapers.weibo import WeiboScraper, parse_long_text
from tests.fixture_server import FixtureServer
from tests.scrapers.social_support import ALL_TIME_HOURS, fast_client, fixture

LONG = "4827356935755865"  # the one cut post of the captured hot feed
EXTEND = "/statuses/extend"


@pytest.fixture(autouse=True)
def cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WB_TEST_COOKIE", "SUB=abc")


def scraper(server: FixtureServer, **kw: object) -> WeiboScraper:
    opts = WeiboScraper.Options(enabled_i_understand_unofficial=True, containers=["102803"], cookie_env="WB_TEST_COOKIE",
                                base_url=server.url(""), backfill_hours=ALL_TIME_HOURS, max_pages=1, **kw)
    return WeiboScraper("wb", opts, fast_client([]))


def serve(server: FixtureServer) -> None:
    server.add("GET", "/api/container/getIndex", file=fixture("weibo", "getindex_containerid_102803_hot_2022.json"))
    server.add("GET", EXTEND, file=fixture("weibo", "statuses_extend_synthetic.json"), query={"id": LONG})


def test_parse_long_text() -> None:
    full = parse_long_text(fixture("weibo", "statuses_extend_synthetic.json").read_bytes())
    assert full.startswith("有哪些男性可能不知道的女性常识？") and full.endswith("用于检查全文补全。")
    with pytest.raises(ScrapeError):
        parse_long_text(b'{"ok": 1, "data": {"ok": 1}}')


def test_cut_posts_are_completed(fixture_server: FixtureServer) -> None:
    serve(fixture_server)
    result = scraper(fixture_server).fetch(None)
    post = next(p for p in result.posts if p.external_id == LONG)
    assert post.text.endswith("用于检查全文补全。")
    assert "long_text" not in post.tags
    calls = fixture_server.requests_to(EXTEND)
    assert [c.param("id") for c in calls] == [LONG] and calls[0].headers["cookie"] == "SUB=abc"


def test_option_off_and_failures_keep_the_cut_text(fixture_server: FixtureServer) -> None:
    serve(fixture_server)
    off = scraper(fixture_server, long_text_requests=0).fetch(None)
    assert "long_text" in next(p for p in off.posts if p.external_id == LONG).tags
    assert fixture_server.requests_to(EXTEND) == []
    fixture_server.add("GET", EXTEND, status=500, query={"id": LONG})
    failed = scraper(fixture_server).fetch(None)
    post = next(p for p in failed.posts if p.external_id == LONG)
    assert "long_text" in post.tags and post.text.endswith("全文")
    assert any(LONG in e for e in failed.errors)
