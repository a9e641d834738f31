"""Weibo (m.weibo.cn) scraper: parsers on captured answers, and end to end on 127.0.0.1."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.base import ScrapeError
from scrapers.weibo import WeiboScraper, parse_container, parse_hotflow, weibo_time
from tests.fixture_server import Answer
from tests.scrapers.social_support import (ALL_TIME_HOURS, fast_client, file_answer, fixture, json_answer, load,
                                           mutations, only_scrape_errors, truncations)

HOT, FLOW, FLOW_REPLIES = ("getindex_containerid_102803_hot_2022.json", "comments_hotflow_2022.json",
                           "comments_hotflow_with_replies_2022.json")
NOW = datetime(2022, 11, 28, 4, 0, tzinfo=timezone.utc)  # 12:00 in Beijing


@pytest.mark.parametrize("raw, expected", [
    ("Wed Oct 19 15:49:02 +0800 2022", datetime(2022, 10, 19, 7, 49, 2)),
    ("Wed Oct 26 17: 29: 30 +0800 2022", datetime(2022, 10, 26, 9, 29, 30)),  # as in the hot-feed capture
    ("刚刚", datetime(2022, 11, 28, 4, 0)),
    ("3分钟前", datetime(2022, 11, 28, 3, 57)),
    ("2小时前", datetime(2022, 11, 28, 2, 0)),
    ("昨天 12:30", datetime(2022, 11, 27, 4, 30)),
    ("05-02", datetime(2022, 5, 1, 16, 0)),
    ("2021-05-02", datetime(2021, 5, 1, 16, 0)),
])
def test_weibo_time(raw, expected):
    assert weibo_time(raw, NOW) == expected.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("raw", ["", "yesterday", "Wed Foo 19 15:49:02 +0800 2022", "13-45", None])
def test_weibo_time_rejects_unknown_forms(raw):
    with pytest.raises(ScrapeError):
        weibo_time(raw, NOW)


def test_parse_container():
    page = parse_container(load("weibo", HOT), source="wb", raw_ref="u")
    assert len(page.posts) == 10 and page.next_token == "since_id:6"
    post = page.posts[0]
    assert (post.external_id, post.author, post.lang, post.kind) == ("4826311288423595", "一碗冷掉的粥", None, "weibo")
    assert (post.engagement.comments, post.engagement.likes, post.engagement.shares) == (325, 14334, 1614)
    assert post.text.startswith("撸🦝浣熊宝宝的时候") and "<" not in post.text and "#宝藏二创榜#" in post.text
    assert post.url == "https://m.weibo.cn/detail/4826311288423595"
    assert post.posted_at == datetime(2022, 10, 19, 7, 49, 2, tzinfo=timezone.utc)


def test_card_groups_and_not_ok():
    card = load("weibo", HOT)["data"]["cards"][0]
    grouped = {"ok": 1, "data": {"cardlistInfo": {"page": 2}, "cards": [{"card_type": 11, "card_group": [card]}]}}
    page = parse_container(grouped, source="wb")
    assert [p.external_id for p in page.posts] == ["4826311288423595"] and page.next_token == "page:2"
    with pytest.raises(ScrapeError, match="ok=0"):
        parse_container({"ok": 0, "msg": "这里还没有内容"}, source="wb")


@pytest.mark.parametrize("name, n, first_id, first_author, likes, replies, region, next_token", [
    (FLOW, 20, "4839628059709306", "快乐风男deer", 1276, 303, "region:陕西", "140513248871369:0"),
    (FLOW_REPLIES, 30, "4840679924304188", "徐小迈小迈", 16, 43, "region:江苏", "139276362469527:0"),
])
def test_parse_hotflow(name, n, first_id, first_author, likes, replies, region, next_token):
    page = parse_hotflow(load("weibo", name), source="wb", mid="M1")
    first = page.posts[0]
    assert len(page.posts) == n and page.next_token == next_token
    assert (first.external_id, first.author, first.thread_id, first.parent_id) == (first_id, first_author, "M1", "M1")
    assert (first.engagement.likes, first.engagement.comments, first.tags) == (likes, replies, (region,))
    assert not first.is_thread_start


def test_inline_replies_point_at_their_comment():
    posts = parse_hotflow(load("weibo", FLOW_REPLIES), source="wb", mid="M1").posts
    reply = posts[1]
    assert (reply.external_id, reply.parent_id, reply.text) == ("4840680479000694", "4840679924304188", "您说的对")


# ------------------------------------------------------------------ end to end

OLDER = copy.deepcopy(load("weibo", HOT)["data"]["cards"][0])
OLDER["mblog"].update(mid="4800000000000001", id="4800000000000001", created_at="Mon Oct 03 10:00:00 +0800 2022")
PAGE2 = {"ok": 1, "data": {"cardlistInfo": {}, "cards": [OLDER]}}
INDEX = "/api/container/getIndex"


@pytest.fixture
def cookie(monkeypatch):
    monkeypatch.setenv("WB_TEST_COOKIE", "SUB=abc; SUBP=def")


def scraper(server, sleeps, **kw):
    kw.setdefault("enabled_i_understand_unofficial", True)
    kw.setdefault("containers", ["102803"])
    opts = WeiboScraper.Options(cookie_env="WB_TEST_COOKIE", base_url=server.url(""),
                                backfill_hours=ALL_TIME_HOURS, **kw)
    return WeiboScraper("wb", opts, fast_client(sleeps))


def serve(server, first: list[Answer] | None = None):
    server.add_sequence("GET", INDEX, first or [file_answer("weibo", HOT)])
    server.add("GET", INDEX, body=json.dumps(PAGE2), query={"since_id": "6"})


def test_requires_explicit_opt_in(fixture_server, cookie):
    with pytest.raises(ScrapeError, match="enabled_i_understand_unofficial"):
        scraper(fixture_server, [], enabled_i_understand_unofficial=False)


def test_fetch_sends_cookie_and_follows_since_id(fixture_server, cookie):
    serve(fixture_server)
    result = scraper(fixture_server, [], user_agent="Mozilla/5.0 (test)").fetch(None)
    assert len(result.posts) == 11 and result.pages_read == 2
    reqs = fixture_server.requests_to(INDEX)
    assert reqs[0].headers["cookie"] == "SUB=abc; SUBP=def" and reqs[0].headers["user-agent"] == "Mozilla/5.0 (test)"
    assert reqs[0].headers["referer"] == fixture_server.url("/") and reqs[0].param("containerid") == "102803"
    assert reqs[1].param("since_id") == "6"


def test_keyword_search_container(fixture_server, cookie):
    fixture_server.add("GET", INDEX, body=json.dumps(PAGE2))
    scraper(fixture_server, [], containers=[], keywords=["真我手机"]).fetch(None)
    req = fixture_server.requests_to(INDEX)[0]
    assert req.param("containerid") == "100103type=61&q=真我手机&t=0" and req.param("page_type") == "searchall"


def test_restart_in_the_middle_of_paging(fixture_server, cookie):
    serve(fixture_server)
    first = scraper(fixture_server, [], max_pages=1).fetch(None)
    second = scraper(fixture_server, [], max_pages=1).fetch(first.cursor)
    ids = [p.external_id for p in first.posts + second.posts]
    assert len(ids) == len(set(ids)) == 11
    assert scraper(fixture_server, []).fetch(second.cursor).posts == []


def test_429_with_retry_after_then_success(fixture_server, cookie):
    sleeps: list[float] = []
    serve(fixture_server, [Answer(status=429, headers={"Retry-After": "8"}), file_answer("weibo", HOT)])
    assert len(scraper(fixture_server, sleeps).fetch(None).posts) == 11 and 8.0 in sleeps


def test_500_then_success(fixture_server, cookie):
    serve(fixture_server, [Answer(status=500), file_answer("weibo", HOT)])
    assert len(scraper(fixture_server, []).fetch(None).posts) == 11


def test_missing_cookie_env_names_the_variable(monkeypatch, fixture_server):
    monkeypatch.delenv("WB_TEST_COOKIE", raising=False)
    with pytest.raises(ScrapeError, match="WB_TEST_COOKIE"):
        scraper(fixture_server, [])


def test_fetch_thread_pages_hotflow(fixture_server, cookie):
    fixture_server.add("GET", "/comments/hotflow", file=fixture("weibo", FLOW_REPLIES))
    fixture_server.add("GET", "/comments/hotflow", file=fixture("weibo", FLOW), query={"max_id": "139276362469527"})
    fixture_server.add("GET", "/comments/hotflow", body=json.dumps({"ok": 0, "msg": "done"}),
                       query={"max_id": "140513248871369"})
    result = scraper(fixture_server, [], max_pages=2).fetch_thread("4840000000000000", None)
    assert len(result.posts) == 50 and all(p.thread_id == "4840000000000000" for p in result.posts)
    reqs = fixture_server.requests_to("/comments/hotflow")
    assert reqs[0].param("mid") == "4840000000000000" and reqs[1].param("max_id_type") == "0"
    assert reqs[0].headers["referer"].endswith("/detail/4840000000000000")
    # Continuing: the next page answers ok=0, which ends the walk instead of failing it.
    rest = scraper(fixture_server, [], max_pages=2).fetch_thread("4840000000000000", result.cursor)
    assert rest.posts == [] and "resume" not in rest.cursor


# ------------------------------------------------------------------ robustness


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=200), truncations(fixture("weibo", HOT).read_bytes()[:8000]),
                 mutations({"ok": 1, "data": {**load("weibo", HOT)["data"], "cards": load("weibo", HOT)["data"]["cards"][:2]}})))
def test_parse_container_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_container(b, source="s"), body)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(truncations(fixture("weibo", FLOW_REPLIES).read_bytes()[:8000]),
                 mutations({"ok": 1, "data": {**load("weibo", FLOW_REPLIES)["data"],
                                              "data": load("weibo", FLOW_REPLIES)["data"]["data"][:2]}})))
def test_parse_hotflow_raises_only_scrape_error(body):
    only_scrape_errors(lambda b: parse_hotflow(b, source="s", mid="1"), body)
