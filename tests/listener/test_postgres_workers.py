"""Two pipelines sharing one PostgreSQL schema work through the same backlog at the same time.

Each worker has its own Store (its own connection pool), as two daemons on two machines would, and both score,
evaluate and dispatch concurrently through the real slack_sdk client to the local Slack test server. Rows are
claimed with `FOR UPDATE SKIP LOCKED`, so every post is scored once and every alert is sent once. With topics
and comments split between the workers' claims, each thread still gets one incident, every comment inherits its
topic's watchlist, and each incident's messages reach Slack in the order they were decided.
Skipped when PostgreSQL is not reachable on 127.0.0.1:5432.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from alerts.slack import SlackNotifier
from listener.app import build, build_backend
from listener.config import parse_config_text
from listener.pipeline import Pipeline
from listener.store.posts_repo import insert_new_posts
from scrapers.base import Engagement, Post
from tests.slack_server import SlackTestServer

CONFIG = """
storage: {{url: "{url}"}}
metrics: {{enabled: false}}
model: {{batch_size: 10}}  # not a multiple of a thread's 4 posts: threads straddle claims
alerting: {{default_channel: "#care", cooldown_minutes: 0, daily_summary_at: null, channel_budget_per_hour: 10000}}
watchlists:
  - name: saifah-net
    terms: {{th: ["สายฟ้าเน็ต"], en: ["SaiFah Net"]}}
    route: {{digest_below: watch}}
    tiers: {{watch: 0.05, high: 0.6, critical: 0.95}}
"""
COMPLAINTS = ["สายฟ้าเน็ต เน็ตหลุดทุกคืน แจ้งแล้วไม่แก้ จะร้องเรียน สคบ.", "SaiFah Net charged me twice, refund now",
              "สายฟ้าเน็ต ค่าบริการแพงแต่เน็ตช้ามาก ผิดหวังสุดๆ"]
OTHERS = ["ร้านกาแฟแถวสยามร้านไหนอร่อย", "Best hiking trails near Chiang Mai?", "หาคอนโดใกล้ BTS งบไม่เกินสามล้าน"]
TOPICS = 600  # posts: more than one claim batch of each stage, so the workers share every stage
ANGRY = ["โดนแบบเดียวกันเลย จะไปร้องเรียน สคบ. ด้วยกันไหม", "ฝากแชร์ด้วยครับ แจ้งไปสิบรอบไม่เคยแก้",
         "Same here, filing a complaint"]
NOW = datetime.now(timezone.utc)


@pytest.fixture
def schema_url(postgres_schema_url: str) -> str:
    return postgres_schema_url


def _backlog(comments: int = 0) -> list[Post]:
    """Topics, half of them complaints about the watched brand, each with `comments` angry comments."""
    posts = []
    for i in range(TOPICS // (comments + 1)):
        title = COMPLAINTS[i % len(COMPLAINTS)] if i % 2 == 0 else OTHERS[i % len(OTHERS)]
        tid = str(50000000 + i)
        posts.append(Post(source="pantip-mbk", kind="pantip", external_id=tid, thread_id=tid,
                          url=f"https://pantip.com/topic/{tid}", title=f"{title} #{i}", text=title, author=f"u{i}",
                          posted_at=NOW - timedelta(minutes=i), engagement=Engagement(comments=1), read_at=NOW))
        for n in range(1, comments + 1):
            posts.append(Post(source="pantip-mbk", kind="pantip", external_id=f"{tid}-{n}", thread_id=tid,
                              url=f"https://pantip.com/topic/{tid}#c{n}", title="", text=ANGRY[n % len(ANGRY)],
                              author=f"c{n}", posted_at=NOW, parent_id=tid, is_thread_start=False, read_at=NOW))
    return posts


def _worker(pipeline: Pipeline, step: threading.Barrier, done: list[tuple[int, int, int]],
            errors: list[BaseException]) -> None:
    """Score, evaluate, then dispatch until nothing is left, each stage started together with the other worker."""
    try:
        step.wait()
        scored = pipeline.score()
        step.wait()  # both workers now meet a full evaluation backlog, then a full outbox
        evaluated = pipeline.evaluate()
        step.wait()
        sent = 0
        for _ in range(100):  # bounded: a dispatcher that never finishes fails the test instead of hanging it
            stats = pipeline.dispatch()
            sent += stats.sent
            if not (stats.sent or stats.waiting):
                break
        done.append((scored, evaluated, sent))
    except BaseException as exc:  # reported by the test thread, which owns the assertions
        step.abort()
        errors.append(exc)


def _run_together(*pipelines: Pipeline) -> list[tuple[int, int, int]]:
    """Run one worker thread per pipeline; (scored, evaluated, sent) of each."""
    step, done, errors = threading.Barrier(len(pipelines), timeout=300), [], []
    threads = [threading.Thread(target=_worker, args=(p, step, done, errors)) for p in pipelines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert len(done) == len(pipelines)
    return done


def _pipelines(url: str, slack: SlackTestServer, tmp_path: Path, count: int) -> list[Pipeline]:
    loaded = parse_config_text(CONFIG.format(url=url), base_dir=tmp_path)
    backend = build_backend(loaded)  # the model is read-only; loading it once keeps the test quick
    return [Pipeline(build(loaded, backend=backend, notifier=SlackNotifier(slack.token, base_url=slack.api_url)))
            for _ in range(count)]


def test_two_workers_score_each_post_once_and_send_each_alert_once(schema_url: str, tmp_path: Path,
                                                                    slack_server: SlackTestServer) -> None:
    first, second = _pipelines(schema_url, slack_server, tmp_path, 2)
    assert first.parts.store is not second.parts.store
    with first.parts.store.session() as session:
        insert_new_posts(session, _backlog(), now=NOW, backfill=False)

    done = _run_together(first, second)

    # Between them the workers handled the backlog once: a post taken by both would be counted twice.
    assert sum(d[0] for d in done) == TOPICS and sum(d[1] for d in done) == TOPICS
    rows = _rows(first, "SELECT count(*) FROM posts WHERE scored_at IS NULL OR evaluated_at IS NULL")
    assert rows == [(0,)]
    complaints = {str(50000000 + i) for i in range(0, TOPICS, 2)}
    assert _rows(first, "SELECT count(*), count(DISTINCT post_id) FROM matches") == [(len(complaints),) * 2]
    assert _rows(first, "SELECT count(*) FROM verdicts") == [(len(complaints),)]

    outbox = _rows(first, "SELECT status, count(*) FROM outbox GROUP BY status")
    assert dict(outbox) == {"sent": len(complaints)}
    assert sum(d[2] for d in done) == len(complaints)
    assert _cards_per_topic(slack_server) == {tid: 1 for tid in complaints}


def _rows(pipeline: Pipeline, sql: str) -> list[tuple[Any, ...]]:
    with pipeline.parts.store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def _cards_per_topic(slack: SlackTestServer) -> dict[str, int]:
    """Topic id -> how many top-level messages Slack accepted that link to it."""
    counts: dict[str, int] = {}
    for call in slack.calls("chat.postMessage"):
        if not call.get("thread_ts"):
            for tid in set(re.findall(r"pantip\.com/topic/(\d+)", json.dumps(call.get("blocks")))):
                counts[tid] = counts.get(tid, 0) + 1
    return counts


def _replies_per_comment(slack: SlackTestServer) -> dict[str, int]:
    """Comment anchor ("50000004#c2") -> how many thread replies Slack accepted that link to it."""
    counts: dict[str, int] = {}
    for call in slack.calls("chat.postMessage"):
        if call.get("thread_ts"):
            for link in set(re.findall(r"pantip\.com/topic/(\d+#c\d+)", json.dumps(call.get("blocks")))):
                counts[link] = counts.get(link, 0) + 1
    return counts


def test_two_workers_on_threads_with_comments_open_each_incident_once(schema_url: str, tmp_path: Path,
                                                                       slack_server: SlackTestServer) -> None:
    first, second = _pipelines(schema_url, slack_server, tmp_path, 2)
    backlog = _backlog(comments=3)
    with first.parts.store.session() as session:
        insert_new_posts(session, backlog, now=NOW, backfill=False)

    done = _run_together(first, second)
    assert sum(d[1] for d in done) == len(backlog)
    complaints = {p.thread_id for p in backlog if p.is_thread_start and p.title.startswith(tuple(COMPLAINTS))}
    assert _rows(first, "SELECT count(*), count(DISTINCT thread_id) FROM incidents") == [(len(complaints),) * 2]
    # Every comment of a watched thread was matched through its topic, whichever worker scored the topic.
    assert _rows(first, "SELECT count(*) FROM matches") == [(len(complaints) * 4,)]
    assert _cards_per_topic(slack_server) == {tid: 1 for tid in complaints}
    replies = _replies_per_comment(slack_server)
    assert replies and set(replies.values()) == {1}
    sent = _rows(first, "SELECT count(*) FROM outbox WHERE status = 'sent'")[0][0]
    accepted = [r for r in slack_server.requests if r.method in ("chat.postMessage", "chat.update")]
    assert sum(d[2] for d in done) == sent == len(accepted)
    assert {status for (status,) in _rows(first, "SELECT DISTINCT status FROM outbox")} == {"sent"}
    # Per incident, the messages reached Slack in the order they were decided (Slack's ts grows with time).
    posted = _rows(first, "SELECT incident_id, ts FROM outbox WHERE kind <> 'update' ORDER BY incident_id, id")
    for incident_id in {i for i, _ in posted}:
        stamps = [ts for i, ts in posted if i == incident_id]
        assert stamps == sorted(stamps), (incident_id, stamps)
