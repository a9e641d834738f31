"""Post text can never ping anyone or smuggle a link: only configured ids become mentions."""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from typing import Any, Iterator

import pytest

from alerts.render import render
from alerts.slack import SlackNotifier
from alerts.types import Alert
from tests.alerts.examples import GOLDEN, INJECTION_NEW, INJECTION_TEXT
from tests.slack_server import SlackTestServer

SPECIAL = re.compile(r"<[!@#][^>]*>")  # what Slack turns into a mention, broadcast or channel link
LINK = re.compile(r"<([a-z]+://[^|>]*)")
BARE_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _assert_inert(payload: Any, allowed: set[str], allowed_links: set[str] = frozenset()) -> None:
    for text in _strings(payload):
        assert set(SPECIAL.findall(text)) <= allowed, text
        assert set(LINK.findall(text)) <= allowed_links, text
        assert not BARE_BROADCAST.search(text), text
        assert "<https://evil" not in text


KINDS = ["new", "update", "escalation", "reply", "digest", "summary", "health"]


@pytest.mark.parametrize("kind", KINDS)
def test_injected_text_pings_nobody_in_any_kind(kind: str) -> None:
    alert = replace(INJECTION_NEW, kind=kind, items=(INJECTION_NEW,) * 3)
    rendered = asdict(render(alert))
    allowed = {"<@U0GOOD>", "<!subteam^S0TEAM>"} if kind in ("new", "escalation") else set()
    _assert_inert(rendered, allowed)
    # The post's words are still shown to the reader, just inert.
    if kind in ("new", "update", "reply"):
        assert any("&lt;!channel&gt;" in text for text in _strings(rendered))


def test_only_configured_ids_become_mentions() -> None:
    alert = replace(INJECTION_NEW, mentions=("U0GOOD", "<!channel>", "here", "@channel", "S0TEAM", "UX>"))
    text = render(alert).text
    assert SPECIAL.findall(text) == ["<@U0GOOD>", "<!subteam^S0TEAM>"]


def test_update_never_repeats_the_mentions() -> None:
    assert not SPECIAL.findall(render(GOLDEN["update_thai"]).text)


def test_link_to_non_http_url_is_dropped_and_labels_cannot_break_out() -> None:
    alert = replace(INJECTION_NEW, url="https://pantip.com/topic/1?a=1|<!channel>", title="x|y>z")
    rendered = asdict(render(alert))
    links = [link for text in _strings(rendered) for link in LINK.findall(text)]
    assert links == ["https://pantip.com/topic/1?a=1%7C%3C!channel%3E"]
    _assert_inert(rendered, {"<@U0GOOD>", "<!subteam^S0TEAM>"}, set(links))


def test_what_slack_receives_is_inert(slack_server: SlackTestServer) -> None:
    notifier = SlackNotifier("xoxb-test-token", base_url=slack_server.api_url)
    digest = replace(GOLDEN["digest"], channel="C0CARE")
    for alert in (INJECTION_NEW, digest):
        assert notifier.deliver(alert).ok
    links = {"https://pantip.com/topic/42424242", "https://weibo.example/status/7?from=feed&amp;lang=zh"}
    for message in slack_server.messages("C0CARE"):
        _assert_inert(message, {"<@U0GOOD>", "<!subteam^S0TEAM>"}, links)
    assert INJECTION_TEXT not in str(slack_server.messages("C0CARE"))


@pytest.mark.parametrize("kind", KINDS)
def test_post_text_is_escaped_exactly_once(kind: str) -> None:
    alert = replace(INJECTION_NEW, kind=kind, items=(INJECTION_NEW,) * 2)
    assert "&amp;lt;" not in str(asdict(render(alert))) and "&amp;amp;" not in str(asdict(render(alert)))
