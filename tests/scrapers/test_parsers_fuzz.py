"""Random, truncated and hostile bodies fed to every parser: only ScrapeError may come out.

Beyond random bytes and cut-off captures, the hostile strategies take each captured body and put, in random
places, what a hostile or broken API sends: lone UTF-16 surrogates and NUL (as JSON escapes), numbers like
1e999 (infinity once decoded) or with thousands of digits, and nesting thousands of levels deep. The forum
parser gets generated pages of the same sort (see bench/parse_hostile.py for how long they take).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scrapers
from scrapers.base import ScrapeError
from scrapers.pantip_html import parse_topic_html
from scrapers.pantip_parse import (parse_comments, parse_legacy_topic_list, parse_replies, parse_reply_page,
                                   parse_search, parse_topic_list)
from scrapers import bluesky, facebook, mastodon, reddit, weibo, x, youtube
from scrapers.forum import ForumOptions, parse_topic_page
from scrapers.reddit import parse_more_children
from scrapers.weibo import parse_long_text
from scrapers.response import Response
from scrapers.rss import parse_feed
from tests.fixture_server import FIXTURES
from tests.scrapers.test_forum import PANTIP_SELECTORS

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
    "youtube_threads": lambda b: youtube.parse_comment_threads(b, source="s"),
    "youtube_comments": lambda b: youtube.parse_comments(b, source="s", thread_id="t"),
    "mastodon_timeline": lambda b: mastodon.parse_statuses(b, source="s"),
    "mastodon_search": lambda b: mastodon.parse_search(b, source="s"),
    "mastodon_context": lambda b: mastodon.parse_context(b, source="s", thread_id="1"),
    "weibo_container": lambda b: weibo.parse_container(b, source="s"),
    "weibo_hotflow": lambda b: weibo.parse_hotflow(b, source="s", mid="1"),
    "bluesky_search": lambda b: bluesky.parse_search(b, source="s"),
    "bluesky_thread": lambda b: bluesky.parse_thread(b, source="s"),
    "x_search": lambda b: x.parse_search(b, source="s"),
    "reddit_listing": lambda b: reddit.parse_listing(b, source="s"),
    "reddit_thread": lambda b: reddit.parse_thread(b, source="s"),
    "facebook_feed": lambda b: facebook.parse_feed(b, source="s"),
    "facebook_comments": lambda b: facebook.parse_comments(b, source="s", post_id="1"),
    "forum_topic": lambda b: parse_topic_page(b, "http://forum.test/t/1", FORUM_OPTIONS, "s"),
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
    "youtube_threads": FIXTURES / "youtube/comment_threads_snippet_replies_2023.json",
    "youtube_comments": FIXTURES / "youtube/comment_threads_snippet_replies_2023.json",
    "mastodon_timeline": FIXTURES / "mastodon/timeline_tag_localhost_2026.json",
    "mastodon_search": FIXTURES / "mastodon/search_v2_mastodon_social_2026.json",
    "mastodon_context": FIXTURES / "mastodon/status_context_mastodon_social_2026.json",
    "weibo_container": FIXTURES / "weibo/getindex_containerid_102803_hot_2022.json",
    "weibo_hotflow": FIXTURES / "weibo/comments_hotflow_with_replies_2022.json",
    "bluesky_search": FIXTURES / "bluesky/search_posts_redistricting_2025.json",
    "bluesky_thread": FIXTURES / "bluesky/get_post_thread_2025.json",
    "x_search": FIXTURES / "x/search_recent_expanded_page1_2020.json",
    "reddit_listing": FIXTURES / "reddit/listing_r_popular_hot_2026.json",
    "reddit_thread": FIXTURES / "reddit/comments_thread_jlbw48_2022.json",
    "facebook_feed": FIXTURES / "facebook/page_feed_fields_reactions_p1_2021.json",
    "facebook_comments": FIXTURES / "facebook/post_comments_p1_2021.json",
    "forum_topic": FIXTURES / "pantip/topic_small_synthetic.html",
}
FORUM_OPTIONS = ForumOptions(**{k: v for k, v in PANTIP_SELECTORS.items() if k not in ("listing_url", "item_link",
                                                                                      "next_page")})
JSON_PARSERS = sorted(name for name, path in SAMPLES.items() if path.suffix == ".json")
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


# -- hostile strategies -------------------------------------------------------------------------------

surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
hostile_text = st.one_of(
    st.text(st.one_of(st.characters(), surrogates, st.just("\x00")), max_size=12),
    st.sampled_from(["\ud800", "\udfff", "a\ud83db", "\x00", "x\x00y", "<p>\ud800</p>", "<b>\x00</b><br>",
                     "2024-01-01T00:00:00\ud800Z", "0001-01-01T00:00:00+14:00", "9" * 5000, "1e999", "-1e999",
                     "NaN", "&#0;&#xd800;", "<br>" * 300]))
huge_numbers = st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 10**30, -(10**30),
                                2**63, 2**64 + 1, 10**4000])
hostile_leaf = st.one_of(hostile_text, huge_numbers, st.none(), st.booleans(), st.integers(), st.builds(list),
                         st.builds(dict))  # fresh containers: a shared one could make a cycle


def as_json(value: Any) -> bytes:
    """JSON text as a hostile API writes it: surrogates and NUL as escapes, infinity as 1e999."""
    return json.dumps(value).replace("-Infinity", "-1e999").replace("Infinity", "1e999").encode("ascii")


SPOILERS = ["\ud800", "\udfff", "\x00", "<b>\ud800</b>", "\ud83d<br>", "&#0;\x00"]


@functools.lru_cache(maxsize=None)
def _sample(name: str) -> tuple[Any, tuple[tuple[Any, ...], ...], tuple[tuple[Any, ...], ...]]:
    """A captured JSON body (lists cut to three items: the shapes, not the bulk), the paths to its leaves
    (texts, numbers, ...) and to its objects and lists."""
    value = _trimmed(json.loads(SAMPLES[name].read_text(encoding="utf-8-sig")))
    leaves: list[tuple[Any, ...]] = []
    containers: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else None
        if children is None:
            leaves.append(path)
            return
        containers.append(path)
        for key, child in children:
            walk(child, path + (key,))

    walk(value, ())
    return value, tuple(leaves), tuple(containers)


def _trimmed(value: Any) -> Any:
    if isinstance(value, list):
        return [_trimmed(v) for v in value[:3]]
    if isinstance(value, dict):
        return {k: _trimmed(v) for k, v in value.items()}
    return value


def _like(value: Any) -> st.SearchStrategy[Any]:
    """A hostile stand-in of the same sort: a text gets a surrogate or NUL (around its real content, so the
    parser gets past its own checks), a number becomes 1e999 or thousands of digits."""
    if isinstance(value, str):
        spoiler = st.sampled_from(SPOILERS)
        return st.one_of(hostile_text, spoiler.map(lambda bad: value + bad), spoiler.map(lambda bad: bad + value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return st.one_of(huge_numbers, st.sampled_from(["1e999", "9" * 5000, str(10**30)]))
    return hostile_leaf


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def _put(document: Any, path: tuple[Any, ...], leaf: Any) -> Any:
    if not path:
        return leaf
    _at(document, path[:-1])[path[-1]] = leaf
    return document


@st.composite
def mutated(draw: st.DrawFn, name: str) -> bytes:
    """A captured body with one to four values (ids, times, texts, counters, or whole objects) made hostile."""
    original, leaves, containers = _sample(name)
    document = json.loads(json.dumps(original))
    for _ in range(draw(st.integers(1, 4))):
        whole = not leaves or draw(st.integers(0, 9)) == 0
        path = draw(st.sampled_from(containers if whole else leaves))
        try:
            document = _put(document, path, draw(hostile_leaf if whole else _like(_at(document, path))))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed that path
    if draw(st.integers(0, 4)) == 0:  # bury the whole answer thousands of levels deep
        depth = draw(st.integers(1000, 30000))
        return b"[" * depth + as_json(document) + b"]" * depth
    return as_json(document)


HOSTILE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", JSON_PARSERS)
@HOSTILE
@given(data=st.data())
def test_captured_answers_with_hostile_values(name: str, data: st.DataObject) -> None:
    survives(PARSERS[name], data.draw(mutated(name)))


@pytest.mark.parametrize("name", JSON_PARSERS)
@FUZZ
@given(value=hostile_leaf, depth=st.integers(0, 20000))
def test_hostile_values_deep_down(name: str, value: Any, depth: int) -> None:
    survives(PARSERS[name], b'{"data": ' + b"[" * depth + as_json(value) + b"]" * depth + b', "ok": 1}')


forum_pieces = st.sampled_from([
    "<div class='main-post display-post-wrapper'>", "<h2 class='display-post-title'>", "</h2>",
    "<div class='display-post-story'>", "</div>", "<br>", "<br/>" * 500, "<span class='display-post-timestamp'>",
    "<abbr data-utime='01/02/2024 10:00:00'>", "<abbr data-utime='13/45/0000 99:99:99'>", "</abbr>", "</span>",
    "<div id='comments-jsrender'>", "<div class='display-post-wrapper section-comment'>", "ทรูมูฟ", "&amp;",
    "&#0;", "&#xd800;", "\ud800", "\x00", "<div>" * 300, "</div>" * 300, "<script>", "<!--", "<![CDATA["])


@FUZZ
@given(pieces=st.lists(forum_pieces | hostile_text, max_size=60))
def test_forum_pages_of_hostile_markup(pieces: list[str]) -> None:
    survives(PARSERS["forum_topic"], "".join(pieces))


def test_registry_classes_share_one_construction() -> None:
    for kind, cls in scrapers.REGISTRY.items():
        assert cls.kind == kind
        fields = {f.name for f in dataclasses.fields(cls.Options)}
        assert "base_url" in fields
        assert callable(cls.fetch) and callable(cls.fetch_thread)
