"""A replayed day of one Pantip thread: it simmers, takes off, gets an escalation cue, then cools down.

The thread tracker decides when the thread is re-read; each re-read stores a snapshot and the comments
posted since, the incident engine observes them, and the dispatcher sends through the real SlackNotifier
to the local Slack test server. The channel must see exactly one message, edited in place, with its thread
replies and escalations at the right moments, and nothing else. The transcript is written to a file.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from alerts.slack import SlackNotifier
from listener.config.alerting import Route, Tiers
from listener.store import incidents_repo
from listener.ingest.tracker import ThreadTracker
from tests.listener.test_incidents_world import START, World, Wl
from tests.slack_server import SlackTestServer

BANGKOK = ZoneInfo("Asia/Bangkok")
STEP = timedelta(minutes=5)
# (hours after the thread started, complaint, cues, text)
COMMENTS = [
    (0.67, 0.65, (), "ผมก็โดนครับ เน็ตหลุดทุกคืน"),
    (1.17, 0.05, (), "ลองรีสตาร์ทเราเตอร์ยังครับ"),
    (3.5, 0.95, ("สคบ.",), "ไม่ไหวแล้ว จะไปร้องเรียน สคบ. พรุ่งนี้"),
    (4.0, 0.05, (), "ติดตามครับ"),
    (7.0, 0.6, (), "ยังไม่ได้รับการแก้ไขเลย โทรไปก็ไม่มีใครรับ"),
]


def comments_at(hours: float) -> int:
    """The thread's comment counter over the day: slow, then 30/h, then 120/h, then flat."""
    if hours < 1:
        return int(2 * hours)
    if hours < 3:
        return int(2 + 30 * (hours - 1))
    if hours < 5:
        return int(62 + 120 * (hours - 3))
    return 302


def test_a_replayed_day_makes_one_message_with_its_thread(tmp_path: Path, slack_server: SlackTestServer) -> None:
    world = World(tmp_path, notifier=SlackNotifier(slack_server.token, base_url=slack_server.api_url, timeout=5))
    world.wl = Wl(route=Route(channel="#care", mentions=("U0ONCALL",), digest_below=None),
                  tiers=Tiers(watch=0.45, high=0.65, critical=0.9))
    tracker = ThreadTracker(world.clock)
    transcript: list[str] = []
    seen_requests = 0

    world.snapshot(comments=0)
    world.post(0.6, negative=0.7, start=True, text="เน็ตบ้านล่มทั้งวัน แจ้งไปสามวันแล้วไม่มีใครมาแก้")
    pending = list(COMMENTS)
    while world.clock() < START + timedelta(hours=24):
        with world.store.session() as s:
            due = tracker.due(s)
        if due:  # the scheduler re-reads the thread: engagement plus the comments posted since
            hours = (world.clock() - START) / timedelta(hours=1)
            world.snapshot(comments=comments_at(hours), reactions=3 * comments_at(hours))
            while pending and pending[0][0] <= hours:
                _, complaint, cues, text = pending.pop(0)
                world.post(complaint, negative=max(complaint, 0.05), cues=cues, text=text)
            world.refresh()
            with world.store.session() as s:
                tracker.reschedule_thread(s, "pantip", "T1")
        world.dispatch()
        for request in slack_server.requests[seen_requests:]:
            transcript.append(_line(world.clock(), request.method, request.params))
        seen_requests = len(slack_server.requests)
        world.clock.advance(minutes=5)

    out = tmp_path / "replay-transcript.txt"
    out.write_text("\n".join(transcript) + "\n", encoding="utf-8")
    print(f"\n--- transcript ({out}) ---\n" + "\n".join(transcript))

    messages = slack_server.messages("#care")
    top = [m for m in messages if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]
    assert len(top) == 1, "exactly one channel message for the whole day"
    parent = top[0]["ts"]
    assert all(m["thread_ts"] == parent for m in messages if m not in top)
    assert all(p["ts"] == parent for p in slack_server.calls("chat.update"))
    assert slack_server.calls("files.completeUploadExternal") == []

    assert len(slack_server.calls("chat.postMessage")) == len(messages), "every post landed in #care, nowhere else"
    posts = [p for p in slack_server.calls("chat.postMessage") if p.get("thread_ts")]
    pinged = [p for p in posts if "U0ONCALL" in _text(p)]
    assert len(pinged) == 2, "mentions exactly on the two up-moves"
    assert "WATCH → HIGH" in pinged[0]["text"] and "HIGH → CRITICAL" in pinged[1]["text"]
    assert "comments/h" in _text(pinged[1])  # growth alone takes it to critical (120 comments/h), and says so
    replies = [p for p in posts if p not in pinged]
    expected = ["เน็ตหลุดทุกคืน", "ร้องเรียน สคบ.", "ไม่มีใครรับ"]  # the benign comments stay out of Slack
    assert [[e in _text(r) for e in expected].index(True) for r in replies] == [0, 1, 2]
    updates = slack_server.calls("chat.update")
    # it cools down, silently: the risk falls, and a cue-laden complaint with 300 comments stays critical
    assert "[CRITICAL]" in updates[-1]["text"] and _risk(updates[-1]) < max(_risk(u) for u in updates)

    with world.store.session() as s:
        incident = incidents_repo.find_incident(s, "pantip", "T1", "acme")
        assert incident is not None and incident.severity == "critical"
        assert incident.message_ts == parent


def _risk(params: dict) -> float:
    return float(str(params["text"]).rsplit("(risk ", 1)[1].rstrip(")"))


def _text(params: dict) -> str:
    return str(params.get("text", "")) + str(params.get("blocks", ""))


def _line(now, method: str, params: dict) -> str:  # type: ignore[no-untyped-def]
    where = f"thread={params['thread_ts']}" if params.get("thread_ts") else (
        f"ts={params['ts']}" if params.get("ts") else f"channel={params.get('channel', '')}")
    text = " ".join(str(params.get("text", "")).split())[:110]
    return f"{now.astimezone(BANGKOK):%H:%M} {method:<17} {where:<28} {text}"
