"""Example alerts used by the alert tests: one or more per kind, in Thai, Chinese and English."""

from __future__ import annotations

from alerts.types import Alert

INJECTION_TEXT = "<!channel> <!here> <@U123> <!subteam^S999> @here @channel <https://evil.example|click>"

THAI_NEW = Alert(
    incident_id=42, revision=1, kind="new",
    title="เน็ตทรูล่มทั้งคืน โทรคอลเซ็นเตอร์ไม่ติดเลย",
    url="https://pantip.com/topic/42424242",
    excerpt=("ใช้เน็ตบ้านทรูมา 3 ปี เมื่อคืนล่มตั้งแต่ 2 ทุ่ม\n"
             "โทร 1242 รอสาย 40 นาที ติดต่อกลับเบอร์ 081-234-5678 ด้วยค่ะ"),
    lang="th", risk=0.91, reason="complaint 0.93 · escalation cue 'ยกเลิกสัญญา' · 120 comments/h",
    watchlist="true-internet", severity="critical", sentiment="negative",
    engagement={"comments": 356, "likes": 1204, "views": 48210},
    growth={"comments_per_hour": 120.0, "acceleration": 2.5},
    channel="C0CARE", mentions=("U024BE7LH", "S0614TZR7"), source="pantip", posted_at="2026-11-22T02:10:00Z",
)

CHINESE_NEW = Alert(
    incident_id=7, revision=1, kind="new", title="快递三天没到，客服一直不回复",
    url="https://weibo.example/status/7?from=feed&lang=zh", excerpt="订单号 123-456，联系邮箱 wang.li@example.cn，客服完全不理人。",
    lang="zh", risk=0.74, reason="complaint 0.81 · 35 reposts/h", watchlist="flash-express", severity="high",
    sentiment="negative", engagement={"comments": 40, "shares": 35}, growth={"reactions_per_hour": 12.5},
    channel="C0CARE", source="weibo", posted_at="2026-11-22T03:00:00Z",
)

INJECTION_NEW = Alert(
    incident_id=666, revision=3, kind="new", title=f"Refund scam {INJECTION_TEXT}",
    url="javascript:alert(1)", excerpt=f"Ping everyone: {INJECTION_TEXT} & more > less",
    lang="en", risk=0.55, reason=f"matched 'refund' {INJECTION_TEXT}", watchlist="bank <!here>",
    severity="watch", channel="C0CARE", mentions=("U0GOOD", "<!channel>", "here", "S0TEAM"),
    source="twitter", posted_at="2026-11-22T04:00:00Z",
)

THAI_UPDATE = Alert(
    incident_id=42, revision=4, kind="update", title=THAI_NEW.title, url=THAI_NEW.url, excerpt=THAI_NEW.excerpt,
    lang="th", risk=0.95, reason="complaint 0.93 · 410 comments · growth accelerating", watchlist="true-internet",
    severity="critical", sentiment="negative", engagement={"comments": 410, "likes": 1530, "views": 61002},
    growth={"comments_per_hour": 54.0}, channel="C0CARE", mentions=THAI_NEW.mentions, message_ts="1700000000.000001",
    source="pantip", posted_at=THAI_NEW.posted_at,
)

THAI_ESCALATION = Alert(
    incident_id=42, revision=5, kind="escalation", title=THAI_NEW.title, url=THAI_NEW.url, excerpt="",
    lang="th", risk=0.95, reason="comments doubled in 30 min; cue 'ฟ้อง สคบ.'", watchlist="true-internet",
    severity="critical", previous_severity="high", engagement={"comments": 410}, growth={"comments_per_hour": 180.0},
    channel="C0CARE", mentions=("U024BE7LH", "S0614TZR7"), thread_ts="1700000000.000001", source="pantip",
)

THAI_REPLY = Alert(
    incident_id=42, revision=6, kind="reply", title=THAI_NEW.title, url="https://pantip.com/topic/42424242#comment-88",
    excerpt="จะไปร้อง สคบ. พรุ่งนี้ ใครโดนเหมือนกันมารวมตัวกันค่ะ <!channel>", lang="th", risk=0.88,
    reason="escalation cue 'ร้อง สคบ.'", watchlist="true-internet", severity="critical", sentiment="negative",
    channel="C0CARE", thread_ts="1700000000.000001", source="pantip",
)

DIGEST = Alert(
    incident_id=0, revision=1, kind="digest", title="Quiet-hours digest 00:00–07:00", url="", excerpt="", lang="",
    risk=0.0, reason="", watchlist="true-internet", severity="watch", channel="C0CARE",
    items=(THAI_NEW, CHINESE_NEW, INJECTION_NEW),
)

SUMMARY = Alert(
    incident_id=0, revision=1, kind="summary", title="Daily summary 2026-11-22", url="", excerpt="", lang="",
    risk=0.0, reason="", watchlist="true-internet", severity="watch", channel="C0CARE",
    posted_at="2026-11-22", counts={"negative": 58, "neutral": 140, "positive": 23, "question": 11},
    items=(THAI_UPDATE, CHINESE_NEW),
)

HEALTH_DEGRADED = Alert(
    incident_id=0, revision=1, kind="health", title="Pantip scraper is blind since 09:12", url="", excerpt="",
    lang="", risk=0.0, reason="5 consecutive failures (HTTP 403).", watchlist="", severity="high",
    channel="C0OPS", source="pantip", posted_at="2026-11-22T09:12:00Z",
)

HEALTH_RECOVERED = Alert(
    incident_id=0, revision=1, kind="health", title="Pantip scraper recovered", url="", excerpt="", lang="",
    risk=0.0, reason="Fetching again after 47 minutes; 212 posts caught up.", watchlist="", severity="high",
    channel="C0OPS", source="pantip", posted_at="2026-11-22T09:59:00Z",
)

GROUP = Alert(
    incident_id=0, revision=0, kind="group", title="2 threads about true-internet: cue สคบ.", url="", excerpt="",
    lang="th", risk=0.81, reason="grouped by watchlist, cue", watchlist="true-internet", severity="high",
    channel="C0CARE", mentions=("S012TRUECARE",), items=(THAI_NEW, INJECTION_NEW),
)

GOLDEN = {
    "new_thai": THAI_NEW, "new_chinese": CHINESE_NEW, "new_injection": INJECTION_NEW, "update_thai": THAI_UPDATE,
    "escalation_thai": THAI_ESCALATION, "reply_thai": THAI_REPLY, "digest": DIGEST, "summary": SUMMARY,
    "health_degraded": HEALTH_DEGRADED, "health_recovered": HEALTH_RECOVERED, "group": GROUP,
}
