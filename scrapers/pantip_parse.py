"""Pure parsers for Pantip's JSON services: listings, comments, replies, search. Reads no config keys.

Every function takes the raw body (bytes/str, or already-decoded JSON) and returns `Post`s; any shape
it does not recognise raises `ScrapeError`, never KeyError/TypeError, because these endpoints are
unofficial and change without notice. Shapes and field meanings: research/sources.md §1.3.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, TypeVar

from scrapers.base import Engagement, Post, ScrapeError
from scrapers.html import html_to_text
from scrapers.pantip_time import bangkok_utime_to_utc, epoch_to_utc, iso_to_utc

KIND = "pantip"
SITE = "https://pantip.com"
EMOTIONS = ("like", "laugh", "love", "impress", "scary", "surprised")
_EM_MARKERS = re.compile(r"\{\{/?e?em\}\}")

T = TypeVar("T")


def guarded(parse: Callable[..., T]) -> Callable[..., T]:
    """Turn any shape surprise inside a parser into `ScrapeError(layout_changed=True)`."""

    @functools.wraps(parse)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return parse(*args, **kwargs)
        except ScrapeError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError, OverflowError) as exc:
            raise ScrapeError(f"{parse.__name__}: unexpected shape ({type(exc).__name__}: {exc})",
                              layout_changed=True) from exc

    return wrapper


def load_json(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    """Decoded JSON object; Pantip's comment service prefixes a UTF-8 BOM, which is stripped."""
    if isinstance(body, Mapping):
        return dict(body)
    if isinstance(body, bytes):
        body = body.decode("utf-8-sig", "replace")
    try:
        data = json.loads(body.lstrip("\ufeff"))
    except ValueError as exc:
        raise ScrapeError(f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ScrapeError("JSON answer is not an object", layout_changed=True)
    return data


def topic_url(tid: object, base_url: str = SITE) -> str:
    return f"{base_url.rstrip('/')}/topic/{tid}"


def emotion_engagement(emotion: Mapping[str, Any] | None) -> tuple[int | None, tuple[tuple[str, int], ...]]:
    """Total and per-kind counts from a comment's `emotion{sum, like{count}, …}`."""
    if not isinstance(emotion, Mapping):
        return None, ()
    kinds = tuple((k, _int(_get(emotion.get(k), "count")) or 0) for k in EMOTIONS if k in emotion)
    total = _int(emotion.get("sum"))
    return (total if total is not None else sum(c for _, c in kinds)), kinds


def _get(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, Mapping) else None


@dataclass(frozen=True)
class TopicList:
    posts: list[Post]
    next_id: str | None  # cursor for the next (older) page; None when the service says there is none


@guarded
def parse_topic_list(body: bytes | str | Mapping[str, Any], source: str, base_url: str = SITE) -> TopicList:
    """`forum-service` `room_topic` / `tag_topic` (`data[]`) or `get_suggest_topic_popular` (`data[].topics[]`)."""
    data = load_json(body)
    items = data.get("data")
    if not isinstance(items, list):
        raise ScrapeError("forum-service answer has no data[]", layout_changed=True)
    topics: list[Mapping[str, Any]] = []
    for item in items:
        topics.extend(item["topics"] if "topics" in item else [item])
    posts = [_forum_topic_post(t, source, base_url) for t in topics]
    next_id = data.get("next_id")
    if data.get("has_next") is False:
        next_id = None
    return TopicList(posts, str(next_id) if next_id not in (None, "", 0) else None)


def _forum_topic_post(topic: Mapping[str, Any], source: str, base_url: str) -> Post:
    tid = str(int(topic["topic_id"]))
    author = topic.get("author") or {}
    return Post(
        source=source, kind=KIND, external_id=tid, thread_id=tid, url=topic_url(tid, base_url),
        title=str(topic.get("title") or ""), text=str(topic.get("title") or ""),
        author=str(author.get("name") or ""), posted_at=iso_to_utc(topic["created_time"]), lang="th",
        engagement=Engagement(comments=_int(topic.get("comments_count")), likes=_int(topic.get("votes_count")),
                              views=_int(topic.get("views_count"))),
        tags=tuple(str(t["name"]) for t in topic.get("tags") or []), raw_ref="forum-service")


@guarded
def parse_legacy_topic_list(body: bytes | str | Mapping[str, Any], source: str, base_url: str = SITE) -> TopicList:
    """The pre-2020 `ajax_json_all_topic_info_loadmore` room listing (`item.topic[]`)."""
    item = load_json(body)["item"]
    posts = []
    for topic in item["topic"]:
        tid = str(int(topic["_id"]))
        posts.append(Post(
            source=source, kind=KIND, external_id=tid, thread_id=tid, url=topic_url(tid, base_url),
            title=str(topic["disp_topic"]), text=str(topic["disp_topic"]), author=str(topic.get("author") or ""),
            posted_at=bangkok_utime_to_utc(topic["utime"]), lang="th",
            engagement=Engagement(comments=_int(topic.get("comments")), likes=_int(topic.get("votes"))),
            tags=tuple(str(t["tag"]) for t in topic.get("tags") or []), raw_ref="ajax_json_all_topic_info_loadmore"))
    more = item.get("more") == "Y"
    return TopicList(posts, str(item["last_id_current_page"]) if more and item.get("last_id_current_page") else None)


@dataclass(frozen=True)
class CommentReplies:
    """What a comment says about its replies: enough to ask `render_replys` for the ones not inline."""

    comment_no: int
    cid: str  # the comment's `_id`, which `render_replys` takes as `cid`
    reply_count: int  # all replies the comment has
    shown: int  # highest reply number shown inline (Pantip shows the first five)


@dataclass(frozen=True)
class CommentPage:
    posts: list[Post]  # comments and their inline replies, in page order
    count: int  # total comments in the topic
    page: int
    limit: int  # comments per page (100)
    replies: tuple[CommentReplies, ...] = ()  # one per comment on the page, in page order

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.limit)) if self.limit else 1


@guarded
def parse_comments(body: bytes | str | Mapping[str, Any], tid: str | int, source: str,
                   base_url: str = SITE) -> CommentPage:
    """`render_comments`: each comment and each inline reply becomes a Post of the topic's thread."""
    data = load_json(body)
    comments = data.get("comments", [])
    if not isinstance(comments, list):
        raise ScrapeError("render_comments answer has no comments[]", layout_changed=True)
    paging = data.get("paging") or {}
    posts: list[Post] = []
    replies: list[CommentReplies] = []
    for comment in comments:
        if comment.get("admin_comment_del"):
            continue  # removed by moderators: nothing left to read
        posts.append(_comment_post(comment, str(tid), source, base_url))
        no = int(comment["comment_no"])
        inline = [_reply_post(r, str(tid), no, source, base_url) for r in comment.get("replies") or []]
        posts.extend(inline)
        shown = max((reply_number(p.external_id) for p in inline), default=0)
        replies.append(CommentReplies(no, str(comment.get("_id") or ""), _int(comment.get("reply_count")) or 0, shown))
    # Counters of 1e999 (infinity once decoded) or "lots" read as unknown rather than failing the page.
    count = _int(data.get("count")) or _int(paging.get("max_comments")) or 0
    return CommentPage(posts, count, _int(paging.get("page")) or 1, _int(paging.get("limit")) or 100, tuple(replies))


def comment_number(external_id: str) -> int:
    """`"tid#7"` and `"tid#7.3"` → 7."""
    return int(external_id.split("#", 1)[1].split(".", 1)[0])


def reply_number(external_id: str) -> int:
    """`"tid#7.3"` → 3; a comment (`"tid#7"`) → 0."""
    _, _, reply = external_id.partition(".")
    return int(reply) if reply else 0


@guarded
def parse_replies(body: bytes | str | Mapping[str, Any], tid: str | int, comment_no: int, source: str,
                  base_url: str = SITE) -> list[Post]:
    """`render_replys`: the replies of one comment beyond the five shown inline."""
    return parse_reply_page(body, tid, comment_no, source, base_url).posts


@dataclass(frozen=True)
class ReplyPage:
    posts: list[Post]
    more: bool  # `lnext`: Pantip has further replies after these


@guarded
def parse_reply_page(body: bytes | str | Mapping[str, Any], tid: str | int, comment_no: int, source: str,
                     base_url: str = SITE) -> ReplyPage:
    """`render_replys` with its `lnext` flag, for walking a long reply chain page by page."""
    data = load_json(body)
    replies = data.get("replies")
    if not isinstance(replies, list):
        raise ScrapeError("render_replys answer has no replies[]", layout_changed=True)
    posts = [_reply_post(r, str(tid), int(comment_no), source, base_url) for r in replies]
    return ReplyPage(posts, bool(data.get("lnext")) and bool(posts))


def _comment_post(comment: Mapping[str, Any], tid: str, source: str, base_url: str) -> Post:
    no = int(comment["comment_no"])
    total, kinds = emotion_engagement(comment.get("emotion"))
    return Post(
        source=source, kind=KIND, external_id=f"{tid}#{no}", thread_id=tid,
        url=f"{topic_url(tid, base_url)}/comment{no}", title="", text=html_to_text(str(comment["message"])),
        author=str((comment.get("user") or {}).get("name") or ""), posted_at=_item_time(comment), lang="th",
        engagement=Engagement(comments=_int(comment.get("reply_count")), likes=_int(comment.get("point")),
                              reactions=total, reaction_kinds=kinds),
        parent_id=tid, is_thread_start=False, raw_ref=f"render_comments?tid={tid}")


def _reply_post(reply: Mapping[str, Any], tid: str, comment_no: int, source: str, base_url: str) -> Post:
    no = int(reply["reply_no"])
    total, kinds = emotion_engagement(reply.get("emotion"))
    return Post(
        source=source, kind=KIND, external_id=f"{tid}#{comment_no}.{no}", thread_id=tid,
        url=f"{topic_url(tid, base_url)}/comment{comment_no}-{no}", title="",
        text=html_to_text(str(reply["message"])), author=str((reply.get("user") or {}).get("name") or ""),
        posted_at=_item_time(reply), lang="th",
        engagement=Engagement(likes=_int(reply.get("point")), reactions=total, reaction_kinds=kinds),
        parent_id=f"{tid}#{comment_no}", is_thread_start=False, raw_ref=f"render_comments?tid={tid}")


def _item_time(item: Mapping[str, Any]) -> datetime:
    # created_time is exact epoch seconds; data_utime is minute-rounded local text on some replies.
    if item.get("created_time"):
        return epoch_to_utc(item["created_time"])
    return bangkok_utime_to_utc(str(item["data_utime"]))


@dataclass(frozen=True)
class SearchPage:
    posts: list[Post]
    last_page: bool


@guarded
def parse_search(body: bytes | str | Mapping[str, Any], source: str, base_url: str = SITE) -> SearchPage:
    """search-service `getresult`: topic hits with `{{em}}…{{eem}}` around matched words."""
    data = load_json(body)
    items = data.get("data") or []
    if data.get("success") is False or not isinstance(items, list):
        raise ScrapeError("search answer unsuccessful or without data[]", layout_changed=True)
    posts = []
    for item in items:
        tid = str(int(item["id"]))
        title = _EM_MARKERS.sub("", str(item.get("title") or ""))
        posts.append(Post(
            source=source, kind=KIND, external_id=tid, thread_id=tid, url=topic_url(tid, base_url), title=title,
            text=_EM_MARKERS.sub("", html_to_text(str(item.get("detail") or ""))) or title,
            author=str(item.get("author_name") or ""), posted_at=epoch_to_utc(item["created_time"]), lang="th",
            engagement=Engagement(comments=_int(item.get("total_comment"))),
            tags=tuple(_EM_MARKERS.sub("", _tag_name(t)) for t in item.get("tags") or []), raw_ref="search-service"))
    return SearchPage(posts, bool(data.get("last_page")) or not items)


def _tag_name(tag: object) -> str:
    # Search tags are plain strings in the documented example; accept {name} objects as elsewhere.
    return str(tag.get("name", "")) if isinstance(tag, Mapping) else str(tag)


def _int(value: object) -> int | None:
    """A counter, or None when absent or not a finite number (JSON allows 1e999, which decodes to infinity)."""
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
