"""Pantip topics served over real HTTP on 127.0.0.1 whose comments a test adds as its (simulated) clock moves,
and the daemon's parts built on that clock: a real SQLite file, the shipped model, the real Slack client.

The topic is the demo site's home-internet complaint (listener/demo/site); its comments are copies of the demo's
calm comment, numbered and timed as the test says, 100 to a `render_comments` page as Pantip pages them.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from alerts.slack import SlackNotifier
from listener.app import build
from listener.config import parse_config_text
from listener.demo import SITE
from listener.pipeline import Pipeline
from tests.fixture_server import FixtureServer
from tests.slack_server import SlackTestServer

TID = "43600001"
POSTED = datetime(2024, 7, 1, 13, 5, tzinfo=timezone.utc)  # the demo topic's time
LISTING = "/api/forum-service/forum/room_topic"
COMMENTS = "/forum/topic/render_comments"
_DEMO = json.loads((SITE / f"forum/topic/render_comments/{TID}.json").read_text(encoding="utf-8-sig"))
CALM = _DEMO["comments"][1]  # "ลองรีสตาร์ทเราเตอร์แล้วหรือยังครับ …"

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
http: {{rate_per_host: 0, retries: 0, respect_robots: false}}
metrics: {{enabled: false}}
alerting: {{default_channel: "#care", cooldown_minutes: 0, daily_summary_at: null}}
{tracking}
sources:
  - name: pantip-mbk
    kind: pantip
    alert_on_backfill: true
    options: {{base_url: "{site}", rooms: [mbk], backfill_hours: 24}}
watchlists:
  - name: saifah-net
    terms: {{th: ["สายฟ้าเน็ต"]}}
    route: {route}
    tiers: {tiers}
"""


class SimClock:
    """The simulated clock a replay runs on: it moves only when the test says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class PantipSite:
    """Topics (all showing the demo complaint page) and their comments, re-published on every change."""

    def __init__(self, server: FixtureServer, tids: tuple[str, ...] = (TID,)) -> None:
        self.server = server
        self.comments: dict[str, list[dict[str, Any]]] = {tid: [] for tid in tids}
        page = (SITE / f"topic/{TID}.html").read_text(encoding="utf-8")
        for tid in tids:
            server.add("GET", f"/topic/{tid}", body=page.replace(TID, tid), content_type="text/html; charset=utf-8")
        self.publish()

    def add(self, count: int, at: datetime, tid: str = TID, text: str | None = None) -> None:
        for _ in range(count):
            comment = copy.deepcopy(CALM)
            no = len(self.comments[tid]) + 1
            comment.update(_id=int(tid) * 1000 + no, comment_no=no, created_time=str(int(at.timestamp())),
                           replies=[], reply_count=0)
            if text is not None:
                comment["message"] = text
            self.comments[tid].append(comment)
        self.publish()

    def publish(self) -> None:
        topics = [{"topic_id": int(tid), "title": "สายฟ้าเน็ต เน็ตหลุดทุกคืน แจ้งคอลเซ็นเตอร์สามรอบแล้วยังไม่แก้",
                   "comments_count": len(comments), "votes_count": 0, "views_count": 100, "author": {"name": "a"},
                   "created_time": POSTED.strftime("%Y-%m-%dT%H:%M:%SZ"), "tags": []}
                  for tid, comments in sorted(self.comments.items(), reverse=True)]
        self.server.add("GET", LISTING, body=json.dumps({"data": topics, "next_id": None, "has_next": False}))
        for tid, comments in self.comments.items():
            for page_no in range(1, len(comments) // 100 + 2):
                body = {"count": len(comments), "paging": {"page": page_no, "limit": 100, "limit_reply": 5},
                        "comments": comments[(page_no - 1) * 100: page_no * 100]}
                self.server.add("GET", COMMENTS, body=json.dumps(body, ensure_ascii=False),
                                query={"tid": tid, "param": f"page{page_no}" if page_no > 1 else ""})

    def comment_pages_asked(self, since: int = 0) -> list[tuple[str | None, str | None]]:
        """(tid, page param) of every render_comments request from the `since`-th one on."""
        return [(r.param("tid"), r.param("param")) for r in self.server.requests_to(COMMENTS)[since:]]

    def topic_reads(self, tid: str = TID) -> int:
        return len(self.server.requests_to(f"/topic/{tid}"))


def daemon(tmp_path: Path, site: FixtureServer, slack: SlackTestServer, clock: SimClock, backend: Any, *,
           tracking: str | None = None, route: str = '{channel: "#care", digest_below: null}',
           tiers: str = "{watch: 0.4, high: 0.6, critical: 0.8}") -> Pipeline:
    """The daemon's stages on `clock`, as `fangsiang once` builds them; `tracking` is the config's section."""
    text = CONFIG.format(db=tmp_path / "tracking.db", site=site.base_url, route=route, tiers=tiers,
                         tracking=f"tracking: {tracking}" if tracking else "")
    loaded = parse_config_text(text, base_dir=tmp_path)
    notifier = SlackNotifier(slack.token, base_url=slack.api_url, timeout=5)
    return Pipeline(build(loaded, clock=clock, notifier=notifier, backend=backend))


def top_level(slack: SlackTestServer, channel: str = "#care") -> list[dict[str, Any]]:
    return [m for m in slack.messages(channel) if m.get("thread_ts") in (None, m["ts"])]
