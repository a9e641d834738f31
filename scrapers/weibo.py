"""Weibo through the unofficial m.weibo.cn mobile-web JSON API: container feeds and hot comments.

Options: `enabled_i_understand_unofficial` (must be true: the API is undocumented, throttles hard
and may block the account or IP), `containers` (getIndex container ids, e.g. `102803` hot feed,
`107603<uid>` a user's posts), `keywords` (real-time keyword search containers), `cookie_env`
(name of the env var holding a weibo.cn cookie; cookie-less requests get HTTP 432 since 2025),
`user_agent` (optional override; the site serves only browser-like clients), `base_url`,
`backfill_hours`, `max_pages`, `long_text_requests` (posts per poll whose cut text is completed from
`statuses/extend`; 0 turns it off).

Feeds are not strictly time-ordered (hot feeds never are), so every poll reads up to `max_pages`
pages and the high-water mark filters what was already returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from scrapers.base import Clock, Engagement, FetchResult, Post, ScrapeError, wall_clock
from scrapers.http import HttpClient
from scrapers.social import (Mark, Page, as_dict, as_list, count, dig, html_text, load_json, read_new, read_targets,
                             require_env, required_id, text, thread_cursor, with_root)

KIND = "weibo"
CST = timezone(timedelta(hours=8))  # Weibo shows Beijing time
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
# Some captured posts read "17: 29: 30": spaces after the colons occur in real answers.
_ABSOLUTE = re.compile(r"\w{3} (\w{3}) (\d{1,2}) (\d\d):\s*(\d\d):\s*(\d\d) ([+-])(\d\d)(\d\d) (\d{4})$")
_RELATIVE = re.compile(r"(\d+)\s*(分钟|小时)前$")
_CLOCK = re.compile(r"(今天|昨天)\s*(\d{1,2}):(\d\d)$")
_DATE = re.compile(r"(?:(\d{4})-)?(\d{1,2})-(\d{1,2})$")


def weibo_time(value: Any, now: datetime | None = None, raw_ref: str = "") -> datetime:
    """"Wed Oct 19 15:49:02 +0800 2022", or the relative forms user feeds show ("刚刚",
    "3分钟前", "2小时前", "昨天 12:30", "05-02", "2021-05-02"), as UTC."""
    raw, now = text(value).strip(), (now or datetime.now(timezone.utc)).astimezone(CST)
    try:
        if m := _ABSOLUTE.match(raw):
            mon, day, hh, mm, ss, sign, oh, om, year = m.groups()
            offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
            moment = datetime(int(year), MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))
        elif raw == "刚刚":
            moment = now
        elif m := _RELATIVE.match(raw):
            moment = now - timedelta(**{"minutes" if m.group(2) == "分钟" else "hours": int(m.group(1))})
        elif m := _CLOCK.match(raw):
            day = now.date() - timedelta(days=1 if m.group(1) == "昨天" else 0)
            moment = datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)), tzinfo=CST)
        elif m := _DATE.match(raw):
            moment = datetime(int(m.group(1) or now.year), int(m.group(2)), int(m.group(3)), tzinfo=CST)
        else:
            raise ValueError(raw)
    except (ValueError, KeyError, OverflowError) as exc:
        raise ScrapeError(f"weibo: unreadable created_at {raw!r}", url=raw_ref) from exc
    return moment.astimezone(timezone.utc)


def parse_mblog(mblog: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Post:
    mblog = as_dict(mblog, "weibo mblog", raw_ref)
    mid = text(mblog.get("mid")) or required_id(mblog, "id", "weibo mblog", raw_ref)
    return Post(
        source=source, kind=KIND, external_id=mid, thread_id=mid, url=f"https://m.weibo.cn/detail/{mid}",
        title="", text=html_text(mblog.get("text")),  # long posts are cut here; isLongText marks them
        author=text(dig(mblog, "user", "screen_name")),
        posted_at=weibo_time(mblog.get("created_at"), read_at, raw_ref),
        engagement=Engagement(comments=count(mblog.get("comments_count")), likes=count(mblog.get("attitudes_count")),
                              shares=count(mblog.get("reposts_count"))),
        read_at=read_at,
        tags=("long_text",) if mblog.get("isLongText") is True else (), raw_ref=raw_ref)


def parse_long_text(body: Any, *, raw_ref: str = "") -> str:
    """A `statuses/extend?id=` answer → the full text of a post whose feed text was cut (`isLongText`)."""
    data = _data(body, "weibo extend", raw_ref)
    content = text(data.get("longTextContent"))
    if not content:
        raise ScrapeError("weibo extend: no longTextContent", url=raw_ref, layout_changed=True)
    return html_text(content)


def _data(body: Any, what: str, raw_ref: str) -> dict[str, Any]:
    doc = as_dict(load_json(body, raw_ref), what, raw_ref)
    if doc.get("ok") != 1:
        # ok=0 with a `msg` is how the API says "no more", "log in" or "too fast".
        raise ScrapeError(f"{what}: ok={doc.get('ok')!r} {text(doc.get('msg'))}".strip(), url=raw_ref)
    return as_dict(doc.get("data"), f"{what} data", raw_ref)


def parse_container(body: Any, *, source: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A `getIndex` answer → the posts of its cards (also inside `card_group`s) and the next-page
    token: `since_id:<n>` for feeds that give one, else `page:<n>`."""
    data = _data(body, "weibo getIndex", raw_ref)
    read_at = read_at or datetime.now(timezone.utc)
    cards = list(as_list(data.get("cards", []), "weibo cards", raw_ref))
    posts: list[Post] = []
    while cards:
        card = cards.pop(0)
        if not isinstance(card, dict):
            continue
        if isinstance(card.get("card_group"), list):
            cards[:0] = card["card_group"]
        elif card.get("card_type") == 9 and isinstance(card.get("mblog"), dict):
            posts.append(parse_mblog(card["mblog"], source=source, raw_ref=raw_ref, read_at=read_at))
    info = data.get("cardlistInfo") if isinstance(data.get("cardlistInfo"), dict) else {}
    since, page = count(info.get("since_id")), count(info.get("page"))
    token = f"since_id:{since}" if since else f"page:{page}" if page else None
    return Page(posts, token if posts else None)


def parse_hotflow(body: Any, *, source: str, mid: str, raw_ref: str = "", read_at: datetime | None = None) -> Page:
    """A `comments/hotflow` answer → comments of post `mid` plus their inline replies, and the
    `max_id:max_id_type` token of the next page (none when max_id is 0)."""
    data = _data(body, "weibo hotflow", raw_ref)
    read_at = read_at or datetime.now(timezone.utc)
    posts: list[Post] = []
    for item in as_list(data.get("data", []), "weibo comments", raw_ref):
        comment = _comment(item, source, mid, mid, raw_ref, read_at)
        posts.append(comment)
        replies = item.get("comments") if isinstance(item.get("comments"), list) else []  # `false` when none
        posts.extend(_comment(r, source, mid, comment.external_id, raw_ref, read_at) for r in replies)
    max_id = count(data.get("max_id"))
    return Page(posts, f"{max_id}:{count(data.get('max_id_type')) or 0}" if max_id else None)


def _comment(item: Any, source: str, mid: str, parent: str, raw_ref: str, read_at: datetime | None) -> Post:
    item = as_dict(item, "weibo comment", raw_ref)
    comment_id = required_id(item, "id", "weibo comment", raw_ref)
    region = text(item.get("source")).removeprefix("来自")  # "来自陕西": the commenter's IP region
    return Post(
        source=source, kind=KIND, external_id=comment_id, thread_id=mid,
        url=f"https://m.weibo.cn/detail/{mid}?cid={comment_id}", title="", text=html_text(item.get("text")),
        author=text(dig(item, "user", "screen_name")), posted_at=weibo_time(item.get("created_at"), read_at, raw_ref),
        engagement=Engagement(comments=count(item.get("total_number")), likes=count(item.get("like_count"))),
        read_at=read_at, parent_id=parent, is_thread_start=False, tags=(f"region:{region}",) if region else (),
        raw_ref=raw_ref)


def _past_the_end(token: str | None, body: Any) -> Page | None:
    """Past the last page the API answers `ok: 0` instead of an empty list: an end, not an error.
    On a first page the same answer means a block or a bad cookie, so the parser raises."""
    if token and isinstance(body, dict) and body.get("ok") == 0:
        return Page([])
    return None


class WeiboScraper:
    kind: ClassVar[str] = KIND

    @dataclass
    class Options:
        enabled_i_understand_unofficial: bool = False
        containers: list[str] = field(default_factory=list)
        keywords: list[str] = field(default_factory=list)
        cookie_env: str = "WEIBO_COOKIE"
        user_agent: str = ""
        base_url: str = "https://m.weibo.cn"
        backfill_hours: float = 24.0
        max_pages: int = 2
        long_text_requests: int = 5  # statuses/extend calls per poll; each costs a request against the throttle

    def __init__(self, name: str, options: "WeiboScraper.Options", http: HttpClient, *,
                 clock: Clock = wall_clock) -> None:
        if not options.enabled_i_understand_unofficial:
            raise ScrapeError(f"source {name!r}: weibo reads the unofficial m.weibo.cn API, which may break or "
                              "get the account blocked; set enabled_i_understand_unofficial: true to use it")
        if not (options.containers or options.keywords):
            raise ScrapeError(f"source {name!r}: set 'containers' or 'keywords'")
        self.name, self.options, self.http = name, options, http
        self.clock = clock
        self._base = options.base_url.rstrip("/")
        self._headers = {"Cookie": require_env(options.cookie_env, name, "weibo.cn cookie"),
                         "Referer": self._base + "/", "X-Requested-With": "XMLHttpRequest", "MWeibo-Pwa": "1"}
        if options.user_agent:
            self._headers["User-Agent"] = options.user_agent

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        # "type=61" is the real-time (newest first) keyword search container.
        searches = [f"100103type=61&q={k}&t=0" for k in self.options.keywords]
        result = read_targets(list(self.options.containers) + searches, cursor, self._fetch_container)
        self._complete_long_texts(result)
        return result

    def _complete_long_texts(self, result: FetchResult) -> None:
        """Replace the cut text of up to `long_text_requests` posts with the full one; a post whose
        completion fails keeps its cut text (still worth scoring) and the error is counted."""
        url = f"{self._base}/statuses/extend"
        budget = self.options.long_text_requests
        for index, post in enumerate(result.posts):
            if budget <= 0:
                break
            if "long_text" not in post.tags:
                continue
            budget -= 1
            try:
                body = self.http.get(url, params={"id": post.external_id}, headers=self._headers,
                                     conditional=False).json()
                full = parse_long_text(body, raw_ref=url)
            except ScrapeError as exc:
                result.errors.append(f"long text of {post.external_id}: {exc}")
                continue
            tags = tuple(t for t in post.tags if t != "long_text")
            result.posts[index] = replace(post, text=full, tags=tags)

    def fetch_thread(self, thread_id: str, cursor: dict[str, Any] | None) -> FetchResult:
        url = f"{self._base}/comments/hotflow"

        def load(token: str | None, mark: Mark) -> Page:
            params: dict[str, Any] = {"id": thread_id, "mid": thread_id, "max_id_type": 0}
            if token:
                max_id, _, max_id_type = token.partition(":")
                params.update(max_id=max_id, max_id_type=max_id_type or 0)
            headers = {**self._headers, "Referer": f"{self._base}/detail/{thread_id}"}
            body = self.http.get(url, params=params, headers=headers, conditional=False).json()
            return (_past_the_end(token, body)
                    or parse_hotflow(body, source=self.name, mid=thread_id, raw_ref=url, read_at=self.clock()))
        comments = read_new(load, thread_cursor(cursor), backfill_hours=self.options.backfill_hours,
                            max_pages=self.options.max_pages, ordered=False, judge=lambda post: True,
                            now=self.clock())
        return with_root(None, comments)

    def _fetch_container(self, container: str, cursor: dict[str, Any] | None) -> FetchResult:
        url = f"{self._base}/api/container/getIndex"

        def load(token: str | None, mark: Mark) -> Page:
            params: dict[str, Any] = {"containerid": container}
            if container.startswith("100103"):
                params["page_type"] = "searchall"
            if token:
                key, _, value = token.partition(":")
                params[key] = value
            body = self.http.get(url, params=params, headers=self._headers, conditional=False).json()
            return (_past_the_end(token, body)
                    or parse_container(body, source=self.name, raw_ref=url, read_at=self.clock()))
        # Keyword search (type=61) and user feeds are newest first; hot feeds are not.
        return read_new(load, cursor, backfill_hours=self.options.backfill_hours, max_pages=self.options.max_pages,
                        ordered=container.startswith(("100103", "107603")), judge=lambda post: True,
                        now=self.clock())
