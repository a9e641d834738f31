"""Pure parser for a Pantip topic page (`/topic/<tid>`). Reads no config keys.

Selectors follow the 2013-era markup Pantip still serves (research/sources.md §1.2). A deleted
topic raises `TopicDeleted`; a page without the title or story raises `ScrapeError` with
`layout_changed=True`, so health reporting can tell "Pantip changed its HTML" from "network down".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from scrapers.base import Engagement, Post, ScrapeError
from scrapers.html import Tag, attr_of, classes_of, parse_html, text_of
from scrapers.pantip_parse import EMOTIONS, KIND, SITE, guarded, topic_url
from scrapers.pantip_time import bangkok_utime_to_utc, thai_date_to_utc

_TOPIC_ID = re.compile(r"/topic/(\d+)")
_NUMBER = re.compile(r"-?\d[\d,]*")
_MAIN = "div.display-post-wrapper.main-post"


class TopicDeleted(ScrapeError):
    """The topic was removed; `reason` is Pantip's own text ("กระทู้นี้ถูกลบเนื่องจาก …")."""

    def __init__(self, tid: str, reason: str, url: str = "") -> None:
        super().__init__(f"topic {tid} deleted: {reason}", url=url)
        self.tid, self.reason = tid, reason


@dataclass(frozen=True)
class TopicPage:
    tid: str
    title: str
    text: str
    author: str
    author_id: str
    posted_at: datetime
    tags: tuple[str, ...]
    likes: int | None
    emotion_total: int | None
    emotions: tuple[tuple[str, int], ...]  # the six kinds in Pantip's order
    keywords: tuple[str, ...]  # meta keywords: Pantip lists the room and tags there
    comment_pages: int | None  # `#last-pageing`, present only when comments were rendered

    def to_post(self, source: str, base_url: str = SITE, comments: int | None = None) -> Post:
        return Post(
            source=source, kind=KIND, external_id=self.tid, thread_id=self.tid, url=topic_url(self.tid, base_url),
            title=self.title, text=self.text, author=self.author, posted_at=self.posted_at, lang="th",
            engagement=Engagement(comments=comments, likes=self.likes, reactions=self.emotion_total,
                                  reaction_kinds=self.emotions),
            tags=self.tags, raw_ref=topic_url(self.tid, base_url))


@guarded
def parse_topic_html(body: str | bytes, tid: str | int | None = None) -> TopicPage:
    """Main post of a topic page: title, story text, author, time, tags, votes and emotions."""
    # Only the main post and a few marker elements become tree objects: building the comments' markup (most of
    # a rendered page; they are read from the JSON API) cost as much as everything else together.
    soup = parse_html(body, only=_needed)
    if soup.select_one(_MAIN) is None:  # not the usual layout: read the whole page as it comes
        soup = parse_html(body)
    return _topic_page(soup, tid)


def _needed(name: str, attrs: Mapping[str, object]) -> bool:
    """The elements `_topic_page` reads outside the main post, and the main post itself."""
    classes = classes_of(attrs)
    return (name in ("link", "meta") or attrs.get("id") == "last-pageing" or "callback-status" in classes
            or {"display-post-wrapper", "main-post"} <= classes)


def _topic_page(soup: Tag, tid: str | int | None) -> TopicPage:
    tid = str(tid) if tid is not None else _topic_id(soup)
    deleted = soup.select_one("div.callback-status")
    main = soup.select_one(_MAIN) or soup
    title_el = main.select_one(".display-post-title")
    if deleted is not None and title_el is None:
        raise TopicDeleted(tid, text_of(deleted))
    story = main.select_one("div.display-post-story")
    if title_el is None or story is None:
        raise ScrapeError(f"topic {tid}: no title/story element, page layout changed", layout_changed=True)
    author = main.select_one("a.display-post-name.owner") or main.select_one("a.display-post-name")
    total, kinds = _emotions(main)
    pages = soup.select_one("#last-pageing")
    return TopicPage(
        tid=tid, title=text_of(title_el), text=text_of(story), author=text_of(author),
        author_id=attr_of(author, "id"), posted_at=_posted_at(main, tid),
        tags=tuple(text_of(a) for a in main.select("div.display-post-tag-wrapper a.tag-item")),
        likes=_number(main.select_one("span.like-score")), emotion_total=total, emotions=kinds,
        keywords=_keywords(soup), comment_pages=_number(pages))


def _topic_id(soup: Tag) -> str:
    for candidate in (soup.select_one("link[rel=canonical]"), soup.select_one("meta[property='og:url']")):
        match = _TOPIC_ID.search(attr_of(candidate, "href") or attr_of(candidate, "content"))
        if match:
            return match.group(1)
    main = soup.select_one(_MAIN)
    match = re.fullmatch(r"topic-(\d+)", attr_of(main, "id"))
    if match:
        return match.group(1)
    raise ScrapeError("topic page without canonical topic id", layout_changed=True)


def _posted_at(main: Tag, tid: str) -> datetime:
    stamp = main.select_one("span.display-post-timestamp abbr") or main.select_one("abbr.timeago")
    if stamp is None:
        raise ScrapeError(f"topic {tid}: no timestamp, page layout changed", layout_changed=True)
    if attr_of(stamp, "data-utime"):
        return bangkok_utime_to_utc(attr_of(stamp, "data-utime"))
    # Older captures carry only the Thai Buddhist-era text in the title or the body of <abbr>.
    return thai_date_to_utc(attr_of(stamp, "title") or text_of(stamp))


def _emotions(main: Tag) -> tuple[int | None, tuple[tuple[str, int], ...]]:
    total = _number(main.select_one("span.emotion-score"))
    box = main.select_one("div.emotion-vote-list")
    # The first emotion-choice-score span is the label "ร่วมแสดงความรู้สึก:", not a count.
    spans = [s for s in box.select("span.emotion-choice-score") if "first" not in (s.get("class") or [])] if box else []
    counts = [_number(s) for s in spans[: len(EMOTIONS)]]
    kinds = tuple((k, c) for k, c in zip(EMOTIONS, counts) if c is not None)
    return total, kinds


def _keywords(soup: Tag) -> tuple[str, ...]:
    content = attr_of(soup.select_one("meta[name=keywords]"), "content")
    return tuple(k.strip() for k in content.split(",") if k.strip())


def _number(element: Tag | None) -> int | None:
    match = _NUMBER.search(text_of(element)) if element is not None else None
    if not match:
        return None
    try:
        return int(match.group(0).replace(",", ""))
    except ValueError:  # thousands of digits (Python refuses to convert them): not a count worth a page
        return None
