"""Random and truncated bodies fed to every parser: only ScrapeError may come out."""

from __future__ import annotations

import dataclasses
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scrapers
from scrapers.base import ScrapeError
from scrapers.pantip_html import parse_topic_html
from scrapers.pantip_parse import (parse_comments, parse_legacy_topic_list, parse_replies, parse_reply_page,
                                   parse_search, parse_topic_list)
from scrapers.reddit import parse_more_children
from scrapers.weibo import parse_long_text
from scrapers.response import Response
from scrapers.rss import parse_feed
from tests.fixture_server import FIXTURES

PARSERS: dict[str, Callable[[bytes], object]] = {
    "topic_html": lambda b: parse_topic_html(b, "1"),
    "topic_list": lambda b: parse_topic_list(b, "s"),
    "legacy_list": lambda b: parse_legacy_topic_list(b, "s"),
    "comments": lambda b: parse_comments(b, "1", "s"),
    "replies": lambda b: parse_replies(b, "1", 1, "s"),
    "reply_page": lambda b: parse_reply_page(b, "1", 1, "s"),
    "more_children": lambda b: parse_more_children(b, source="s"),
    "long_text": lambda b: parse_long_text(b),
    "search": lambda b: parse_search(b, "s"),
    "feed": lambda b: parse_feed(b, "s"),
    "response_json": lambda b: Response(200, "u", b).json(),
}
SAMPLES = {
    "topic_html": FIXTURES / "pantip/topic_small_synthetic.html",
    "topic_list": FIXTURES / "pantip/room_topic_page1_synthetic.json",
    "legacy_list": FIXTURES / "pantip/ajax_json_all_topic_info_loadmore_food_2018.json",
    "comments": FIXTURES / "pantip/render_comments_tid37553384_2018.json",
    "replies": FIXTURES / "pantip/render_replys_synthetic.json",
    "reply_page": FIXTURES / "pantip/render_replys_synthetic.json",
    "more_children": FIXTURES / "reddit/morechildren_synthetic.json",
    "long_text": FIXTURES / "weibo/statuses_extend_synthetic.json",
    "search": FIXTURES / "pantip/search_getresult_synthetic.json",
    "feed": FIXTURES / "rss/google_news_search_th_synthetic.xml",
    "response_json": FIXTURES / "pantip/search_getresult_synthetic.json",
}
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def survives(parser: Callable[[bytes], object], body: bytes) -> None:
    try:
        parser(body)
    except ScrapeError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["data", "comments", "replies", "item", "topic", "topic_id", "created_time", "comment_no",
                         "message", "id", "next_id", "_id", "utime", "disp_topic", "reply_no", "emotion"]),
        inner, max_size=4),
    max_leaves=12)


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(body=st.binary(max_size=300))
def test_random_bytes(name: str, body: bytes) -> None:
    survives(PARSERS[name], body)


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_real_bodies(name: str, cut: float) -> None:
    body = SAMPLES[name].read_bytes()
    survives(PARSERS[name], body[: int(len(body) * cut)])


@pytest.mark.parametrize("name", ["topic_list", "legacy_list", "comments", "replies", "search"])
@FUZZ
@given(value=json_values)
def test_json_of_the_wrong_shape(name: str, value: object) -> None:
    import json

    survives(PARSERS[name], json.dumps(value).encode())


def test_registry_classes_share_one_construction() -> None:
    for kind, cls in scrapers.REGISTRY.items():
        assert cls.kind == kind
        fields = {f.name for f in dataclasses.fields(cls.Options)}
        assert "base_url" in fields
        assert callable(cls.fetch) and callable(cls.fetch_thread)
