"""A killed process resumes without duplicates or gaps.

`fangsiang once` and `fangsiang run` run as real processes against pages served on 127.0.0.1 and a local
Slack-compatible server; they are killed with SIGKILL in the middle of work (a listing page that is slow to
come, a Slack call that is slow to be accepted, a Slack call accepted but not yet answered) and started again. After the restart every served post is
stored exactly once, the cursor has moved on, and Slack got exactly what an uninterrupted run sends, once
and in the same order. Slack going away while the daemon runs only delays the alerts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.fixture_server import Answer, FixtureServer
from tests.process_helpers import query, wait_for
from tests.slack_server import SlackTestServer
from tests.test_end_to_end import _serve_site

TOKEN_ENV = "CRASH_TEST_SLACK_TOKEN"
CONFIG = """
storage: {{url: "sqlite:///{db}"}}
http: {{rate_per_host: 0, retries: 0, timeout_s: 60}}
slack: {{token_env: {token_env}, base_url: "{slack}"}}
metrics: {{enabled: false}}
alerting: {{default_channel: "#social", cooldown_minutes: 0, daily_summary_at: null, channel_budget_per_hour: 500}}
scheduler: {{score_every: 1s, dispatch_every: 1s, track_every: 1h, housekeeping_every: 1h}}
sources:
  - name: pantip-mbk
    kind: pantip
    alert_on_backfill: true
    schedule: {{every: 1h}}
    options: {{base_url: "{site}", rooms: [mbk], backfill_hours: 1000000, comments: {comments}, page_size: 4}}
watchlists:
  - name: saifah-net
    terms: {{th: ["สายฟ้าเน็ต"], en: ["SaiFah Net"]}}
    route: {{channel: "#care", digest_below: watch}}
    tiers: {{watch: 0.05, high: 0.6, critical: 0.95}}
"""
COMPLAINTS = ["สายฟ้าเน็ต เน็ตหลุดทุกคืน แจ้งแล้วไม่แก้ จะร้องเรียน สคบ.", "SaiFah Net charged me twice, refund now",
              "สายฟ้าเน็ต ค่าบริการแพงแต่เน็ตช้ามาก ผิดหวังสุดๆ", "เลิกใช้สายฟ้าเน็ตแน่นอน บริการแย่มาก"]
OTHERS = ["ร้านกาแฟแถวสยามร้านไหนอร่อย", "Best hiking trails near Chiang Mai?", "แนะนำหนังสือนิยายสนุกๆ หน่อย"]


def _config(tmp_path: Path, name: str, site: FixtureServer, slack: SlackTestServer, comments: bool) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(CONFIG.format(db=tmp_path / f"{name}.db", token_env=TOKEN_ENV, slack=slack.api_url,
                                  site=site.base_url, comments=str(comments).lower()), encoding="utf-8")
    return path


def _start(config: Path, command: str, slack: SlackTestServer) -> subprocess.Popen[str]:
    env = {**os.environ, TOKEN_ENV: slack.token, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "listener.cli", "--config", str(config), command], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=180)
    assert process.returncode == 0, output
    return output


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _sent(slack: SlackTestServer) -> list[tuple[str, str, str, bool]]:
    """What reached Slack, comparable between runs: method, channel, text, and whether it is a thread reply."""
    return [(r.method, str(r.params.get("channel")), str(r.params.get("text")), bool(r.params.get("thread_ts")))
            for r in slack.requests if r.method in ("chat.postMessage", "chat.update") and r.status == 200]


# -- a listing whose second page is slow ------------------------------------------------------------------

def _topic(tid: int, title: str, age: timedelta) -> dict[str, Any]:
    created = (datetime.now(timezone.utc) - age).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"topic_id": tid, "topic_type": 3, "title": title, "views_count": 10, "comments_count": 0,
            "votes_count": 0, "author": {"id": tid, "name": f"สมาชิกหมายเลข {tid}"}, "created_time": created,
            "tags": []}


def _serve_listing(server: FixtureServer, topics: list[dict[str, Any]], *, slow_page: int | None = None) -> None:
    """Serve `topics` (newest first) four to a page, chained by next_id; `slow_page` answers late the first time."""
    pages = [topics[i:i + 4] for i in range(0, len(topics), 4)]
    for number, page in enumerate(pages, start=1):
        last = number == len(pages)
        body = json.dumps({"data": page, "next_id": None if last else page[-1]["topic_id"], "has_next": not last})
        answer = Answer.text(body, content_type="application/json; charset=utf-8")
        params = {"room": "mbk"} if number == 1 else {"room": "mbk", "next_id": str(pages[number - 2][-1]["topic_id"])}
        answers = [Answer(answer.status, answer.body, answer.headers, delay_s=45), answer] if number == slow_page \
            else [answer]
        server.add_sequence("GET", "/api/forum-service/forum/room_topic", answers, query=params)


def _listing_topics(first_id: int, count: int) -> list[dict[str, Any]]:
    titles = [COMPLAINTS[i % len(COMPLAINTS)] if i % 2 == 0 else OTHERS[i % len(OTHERS)] for i in range(count)]
    return [_topic(first_id - i, f"{title} #{i}", timedelta(minutes=10 + i)) for i, title in enumerate(titles)]


def _card_counts(slack: SlackTestServer, site: FixtureServer) -> dict[str, int]:
    """Topic id -> how many top-level messages Slack accepted for it."""
    counts: dict[str, int] = {}
    link = re.compile(re.escape(site.base_url) + r"/topic/(\d+)")
    for call in slack.calls("chat.postMessage"):
        if not call.get("thread_ts"):
            for tid in set(link.findall(json.dumps(call.get("blocks"), ensure_ascii=False))):
                counts[tid] = counts.get(tid, 0) + 1
    return counts


def test_killed_while_a_listing_page_is_slow_resumes_without_gaps(tmp_path: Path, fixture_server: FixtureServer,
                                                                   slack_server: SlackTestServer) -> None:
    topics = _listing_topics(44000012, 12)
    _serve_listing(fixture_server, topics, slow_page=2)
    config = _config(tmp_path, "listing", fixture_server, slack_server, comments=False)
    db = tmp_path / "listing.db"

    first = _start(config, "once", slack_server)
    assert wait_for(lambda: len(fixture_server.requests_to("/api/forum-service/forum/room_topic")) >= 2)
    _kill(first)  # page 1 read, page 2 on its way
    _finish(_start(config, "once", slack_server))

    stored = query(db, "SELECT external_id, count(*) FROM posts GROUP BY external_id")
    assert sorted(stored) == sorted((str(t["topic_id"]), 1) for t in topics)
    matched = {str(t["topic_id"]) for t in topics if t["title"].startswith(tuple(COMPLAINTS))}
    alerted = {tid for (tid,) in query(db, "SELECT thread_id FROM incidents")}
    assert alerted and alerted <= matched  # which complaints alert is the model's call; each alerts once
    assert _card_counts(slack_server, fixture_server) == {tid: 1 for tid in alerted}
    cursor = json.loads(query(db, "SELECT cursor FROM sources WHERE name = 'pantip-mbk'")[0][0])
    assert cursor["listings"]["room:mbk"]["newest"] == str(topics[0]["topic_id"])
    assert "paging" not in cursor["listings"]["room:mbk"]

    newer = _topic(44000013, "สายฟ้าเน็ต โทรไปคอลเซ็นเตอร์รอสายชั่วโมงนึง แย่มาก", timedelta(minutes=1))
    _serve_listing(fixture_server, [newer, *topics])
    listing_reads = len(fixture_server.requests_to("/api/forum-service/forum/room_topic"))
    _finish(_start(config, "once", slack_server))
    assert len(fixture_server.requests_to("/api/forum-service/forum/room_topic")) == listing_reads + 1
    assert query(db, "SELECT count(*), count(DISTINCT external_id) FROM posts") == [(13, 13)]
    alerted = {tid for (tid,) in query(db, "SELECT thread_id FROM incidents")}
    assert _card_counts(slack_server, fixture_server) == {tid: 1 for tid in alerted}


# -- Slack slow to accept a message -------------------------------------------------------------------------

class StallingSlack(SlackTestServer):
    """Holds the n-th chat.postMessage before accepting it, as a Slack that is slow to answer would."""

    def __init__(self, stall_at: int) -> None:
        super().__init__()
        self.stall_at = stall_at
        self.stalled = threading.Event()
        self._release = threading.Event()
        self._posts = 0
        self._count_lock = threading.Lock()

    def handle(self, method: str, params: dict[str, Any],
               token: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "chat.postMessage":
            with self._count_lock:
                self._posts += 1
                stall = self._posts == self.stall_at
            if stall:
                self.stalled.set()
                self._release.wait(60)
                return 503, {}, {}  # the sender is gone by now; this one was never accepted
        return super().handle(method, params, token)

    def stop(self) -> None:
        self._release.set()
        super().stop()


@pytest.mark.parametrize("stall_at", [1, 2], ids=["first-card", "thread-reply"])
def test_killed_while_slack_is_slow_sends_each_message_once_in_order(tmp_path: Path, fixture_server: FixtureServer,
                                                                      stall_at: int) -> None:
    _serve_site(fixture_server)
    with SlackTestServer() as reference_slack:  # what an uninterrupted run sends
        _finish(_start(_config(tmp_path, "reference", fixture_server, reference_slack, True), "once", reference_slack))
        expected = _sent(reference_slack)
    assert len([m for m in expected if m[0] == "chat.postMessage"]) >= 2, expected

    with StallingSlack(stall_at) as slack:
        config = _config(tmp_path, "crash", fixture_server, slack, comments=True)
        first = _start(config, "once", slack)
        assert wait_for(slack.stalled.is_set), first.communicate(timeout=30)[0]
        _kill(first)
        _finish(_start(config, "once", slack))
        assert _sent(slack) == expected
        _finish(_start(config, "once", slack))  # and nothing is left over for a later run
        assert _sent(slack) == expected
    outbox = query(tmp_path / "crash.db", "SELECT status, count(*) FROM outbox GROUP BY status")
    assert dict(outbox).keys() <= {"sent", "superseded", "digest"}


# -- Slack has the message, the sender never hears back ----------------------------------------------------------

class SilentSlack(SlackTestServer):
    """Stores the n-th chat.postMessage like Slack does, then never answers it."""

    def __init__(self, silent_at: int) -> None:
        super().__init__()
        self.silent_at = silent_at
        self._posts = 0

    def handle(self, method: str, params: dict[str, Any],
               token: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "chat.postMessage":
            with self._lock:
                self._posts += 1
                if self._posts == self.silent_at:
                    self._state.hangs[method] = 1
        return super().handle(method, params, token)


def _channel(slack: SlackTestServer) -> list[tuple[str, bool]]:
    """The channel as people read it: each message's text and whether it sits in a thread, oldest first."""
    return [(m["text"], m.get("thread_ts") not in (None, m["ts"])) for m in slack.messages("#care")]


@pytest.mark.parametrize("silent_at", [1, 2], ids=["first-card", "thread-reply"])
def test_killed_after_slack_accepted_a_message_posts_it_once(tmp_path: Path, fixture_server: FixtureServer,
                                                              silent_at: int) -> None:
    _serve_site(fixture_server)
    with SlackTestServer() as reference_slack:
        _finish(_start(_config(tmp_path, "reference", fixture_server, reference_slack, True), "once", reference_slack))
        expected, channel = _sent(reference_slack), _channel(reference_slack)

    with SilentSlack(silent_at) as slack:
        config = _config(tmp_path, "silent", fixture_server, slack, comments=True)
        first = _start(config, "once", slack)
        assert wait_for(slack.hung.is_set), first.communicate(timeout=30)[0]
        _kill(first)  # Slack holds the message; the outbox says only that it was being sent
        assert len(slack.messages("#care")) == silent_at
        _finish(_start(config, "once", slack))
        assert _channel(slack) == channel
        assert _sent(slack) == expected
        keys = [m["metadata"]["event_payload"]["key"] for m in slack.messages("#care")]
        assert len(keys) == len(set(keys)) == len(channel)
    outbox = query(tmp_path / "silent.db", "SELECT status, count(*) FROM outbox GROUP BY status")
    assert dict(outbox).keys() <= {"sent", "superseded", "digest"}


# -- Slack unreachable while the daemon runs ------------------------------------------------------------------

def test_alerts_queued_while_slack_is_down_arrive_once_when_it_is_back(tmp_path: Path, fixture_server: FixtureServer,
                                                                        slack_server: SlackTestServer) -> None:
    _serve_site(fixture_server)
    with SlackTestServer() as reference_slack:
        _finish(_start(_config(tmp_path, "reference", fixture_server, reference_slack, True), "once", reference_slack))
        expected = _sent(reference_slack)

    slack_server.go_down()
    config = _config(tmp_path, "outage", fixture_server, slack_server, comments=True)
    db = tmp_path / "outage.db"
    daemon = _start(config, "run", slack_server)
    try:
        # Alerts are decided and queued, and the first delivery attempt has failed (whether Slack got it is
        # unknown to the sender, so the row stays "sending" until Slack can be asked).
        undelivered = "SELECT count(*) FROM outbox WHERE attempts > 0 AND status IN ('pending', 'sending')"
        assert wait_for(lambda: query(db, undelivered) not in ([], [(0,)]))
        slack_server.come_up()
        want = len(expected)
        assert wait_for(lambda: len(_sent(slack_server)) >= want, timeout=150), _sent(slack_server)
        daemon.send_signal(signal.SIGTERM)
        _finish(daemon)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert sorted(_sent(slack_server)) == sorted(expected)
    assert query(db, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')") == [(0,)]
