"""A plain Thai complaint naming a watched brand alerts; a question, praise, news or a brand's reply does not.

The shipped config.yaml's model section and the shipped watchlists (watchlists/) are used as they are; only the
storage, Slack and source addresses point at local servers. Twenty-four topics written for this test
(tests/fixtures/pantip_written/, none from a training or evaluation corpus) are served as Pantip topic pages over
HTTP, `fangsiang once` reads, scores and dispatches them, and the real slack_sdk client posts to the local
Slack-compatible server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from listener.cli import main
from listener.demo import SITE
from listener.store import Store
from listener.delivery.digests import in_quiet_hours
from listener.store.models import Incident, OutboxRow, PostRow
from tests.fixture_server import FixtureServer
from tests.slack_server import SlackTestServer

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = json.loads((Path(__file__).parent / "fixtures/pantip_written/topics.json").read_text(encoding="utf-8"))
TEMPLATE = (SITE / "topic/43600002.html").read_text(encoding="utf-8")
TEMPLATE_TITLE = "แพ็กเกจสายฟ้าเน็ต 1000/500 คุ้มไหมคะ ใครใช้อยู่บ้าง"
TEMPLATE_BODY = "กำลังจะย้ายมาใช้สายฟ้าเน็ต อยากรู้ว่าแพ็กเกจ 1000/500 ความเร็วได้จริงไหมคะ ใช้ในคอนโดแถวลาดพร้าว"
COMPLAINTS = {str(44000000 + i): pair for i, pair in enumerate(WRITTEN["complaints"])}
OTHERS = {str(44100000 + i): pair for i, pair in enumerate(WRITTEN["others"])}


def _page(topic_id: str, title: str, body: str) -> str:
    return TEMPLATE.replace("43600002", topic_id).replace(TEMPLATE_TITLE, title).replace(TEMPLATE_BODY, body)


def _listing(topics: dict[str, tuple[str, str]]) -> dict:
    return {"data": [{"topic_id": int(tid), "topic_type": 3, "title": title, "comments_count": 0, "votes_count": 0,
                      "views_count": 10, "author": {"id": 9000000 + n, "name": f"สมาชิกหมายเลข {9000000 + n}"},
                      "created_time": f"2024-07-01T{8 + n // 6:02d}:{n % 6 * 10:02d}:00Z", "tags": []}
                     for n, (tid, (title, _)) in enumerate(topics.items())], "next_id": None}


def _config(tmp_path: Path, site: str, slack: str) -> Path:
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config = {
        "storage": {"url": f"sqlite:///{tmp_path / 'written.db'}"},
        "http": {"rate_per_host": 0, "retries": 1, "backoff_base_s": 0},
        "slack": {"token_env": "WRITTEN_SLACK_TOKEN", "base_url": slack},
        "metrics": {"enabled": False},
        "model": shipped["model"],
        "alerting": {**shipped["alerting"], "daily_summary_at": None},
        "watchlists": str(ROOT / "watchlists"),
        "sources": [{"name": "pantip-phones-and-telecom", "kind": "pantip", "alert_on_backfill": True,
                     "options": {"base_url": site, "rooms": ["mbk"], "backfill_hours": 1000000, "comments": True}}],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run `fangsiang once` over all 24 topics; return each topic's incident tier (None: no incident)."""
    tmp_path = tmp_path_factory.mktemp("written")
    topics = {**COMPLAINTS, **OTHERS}
    site_dir = tmp_path / "site"
    (site_dir / "topic").mkdir(parents=True)
    (site_dir / "listing.json").write_text(json.dumps(_listing(topics), ensure_ascii=False), encoding="utf-8")
    empty = {"count": 0, "paging": {"page": 1, "limit": 100}, "comments": []}
    (site_dir / "comments.json").write_text(json.dumps(empty), encoding="utf-8")
    with FixtureServer() as site, SlackTestServer() as slack:
        site.add("GET", "/api/forum-service/forum/room_topic", file=site_dir / "listing.json", query={"room": "mbk"})
        for tid, (title, body) in topics.items():
            (site_dir / "topic" / f"{tid}.html").write_text(_page(tid, title, body), encoding="utf-8")
            site.add("GET", f"/topic/{tid}", file=site_dir / "topic" / f"{tid}.html")
            site.add("GET", "/forum/topic/render_comments", query={"tid": tid}, file=site_dir / "comments.json")
        mp = pytest.MonkeyPatch()
        mp.setenv("WRITTEN_SLACK_TOKEN", slack.token)
        try:
            assert main(["--config", str(_config(tmp_path, site.base_url, slack.api_url)), "once"]) == 0
        finally:
            mp.undo()
        posted = json.dumps(slack.calls("chat.postMessage"), ensure_ascii=False)
    store = Store(f"sqlite:///{tmp_path / 'written.db'}")
    with store.session() as session:
        incidents = session.query(Incident).all()
        tiers = {i.thread_id: i.severity for i in incidents}
        complaint = {p.thread_id: (p.title, p.id) for p in session.query(PostRow)}
        threads = {i.id: i.thread_id for i in incidents}
        alerts = {threads.get(r.incident_id): r for r in session.query(OutboxRow) if r.kind == "new"}
        held = {tid: in_quiet_hours(r.route_opts, r.created_at) for tid, r in alerts.items() if r.status == "held"}
    store.dispose()
    return {"tiers": tiers, "posted": posted, "stored": complaint, "held": held}


def test_every_written_topic_was_read(outcome: dict) -> None:
    assert set(outcome["stored"]) == set(COMPLAINTS) | set(OTHERS)


@pytest.mark.parametrize("topic_id", sorted(COMPLAINTS))
def test_a_plain_thai_complaint_reaches_at_least_watch(outcome: dict, topic_id: str) -> None:
    assert outcome["tiers"].get(topic_id) in ("watch", "high", "critical"), COMPLAINTS[topic_id][0]


@pytest.mark.parametrize("topic_id", sorted(OTHERS))
def test_a_question_praise_news_or_brand_reply_does_not_alert(outcome: dict, topic_id: str) -> None:
    assert topic_id not in outcome["tiers"], OTHERS[topic_id][0]
    assert f"/topic/{topic_id}" not in outcome["posted"]


def test_complaints_reach_slack(outcome: dict) -> None:
    """Complaints at high or above are cards in Slack at once (watch-level ones wait for their digest), except
    where their route's quiet hours were on when the alert was made (the delivery team's 23:00–07:00 Bangkok):
    then it is held for the catch-up digest, and only a critical one would have notified."""
    loud = [tid for tid, tier in outcome["tiers"].items() if tier in ("high", "critical") and tid in COMPLAINTS]
    assert loud, outcome["tiers"]
    assert all(outcome["held"].values()), outcome["held"]  # nothing held outside its route's quiet hours
    for tid in loud:
        if tid in outcome["held"]:
            assert outcome["tiers"][tid] != "critical" and f"/topic/{tid}" not in outcome["posted"]
        else:
            assert f"/topic/{tid}" in outcome["posted"], COMPLAINTS[tid][0]
    assert len(outcome["held"]) < len(loud)  # the round-the-clock routes posted at any hour
