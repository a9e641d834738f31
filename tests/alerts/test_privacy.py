"""Phone numbers, national IDs, e-mails and bank accounts never reach Slack unless masking is switched off."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerts.console import format_alert
from alerts.privacy import mask_personal_data
from alerts.render import render
from tests.alerts.examples import CHINESE_NEW, THAI_NEW

MASKED = [
    ("โทร 081-234-5678 ด่วน", "โทร [phone] ด่วน"),
    ("โทร0812345678ค่ะ", "โทร[phone]ค่ะ"),
    ("ติดต่อ 09 1234 5678", "ติดต่อ [phone]"),
    ("call +66 81 234 5678 now", "call [phone] now"),
    ("+66812345678", "[phone]"),
    ("office 02-123-4567", "office [phone]"),
    ("เชียงใหม่ 053-123-456", "เชียงใหม่ [phone]"),
    ("เบอร์ ๐๘๑-๒๓๔-๕๖๗๘", "เบอร์ [phone]"),
    ("บัตร 1-1017-00230-70-8", "บัตร [national-id]"),
    ("เลขบัตร 1101700230708 ค่ะ", "เลขบัตร [national-id] ค่ะ"),
    ("mail me: somchai.k+care@example.co.th", "mail me: [email]"),
    ("โอนเข้า 123-4-56789-0 กสิกร", "โอนเข้า [bank-account] กสิกร"),
    ("บัญชี 020-2-12345-678", "บัญชี [bank-account]"),
]

KEPT = [
    "ราคา 1,200 บาท ส่ง 2024-01-15",
    "topic 42424242",
    "invoice 1101700230709",  # 13 digits but not a valid ID checksum
    "order 12-34-56",
    "โปร 599 บาท 30 วัน",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert mask_personal_data(text) == text


def test_render_masks_by_default_and_can_be_switched_off() -> None:
    assert "081-234-5678" not in str(render(THAI_NEW).blocks)
    assert "[phone]" in str(render(THAI_NEW).blocks)
    assert "wang.li@example.cn" not in str(render(CHINESE_NEW).blocks)
    assert "081-234-5678" in str(render(THAI_NEW, mask=False).blocks)


def test_masking_covers_titles_and_reasons() -> None:
    alert = replace(THAI_NEW, title="คืนเงินด่วน 0812345678", reason="mentions a@b.co")
    rendered = render(alert)
    assert "0812345678" not in str(rendered) and "a@b.co" not in str(rendered)


def test_console_output_is_masked_too() -> None:
    assert "081-234-5678" not in format_alert(THAI_NEW)


def test_an_excerpt_is_masked_before_it_is_cut() -> None:
    from alerts.privacy import masked_excerpt

    text = "ก" * 389 + " 081-234-5678 โทรกลับด่วน"
    assert masked_excerpt(text, 400) == ("ก" * 389 + " [phone] โทรกลับด่วน")[:400]
    assert "081-234-56" not in masked_excerpt(text, 400) and "081-234-56" in text[:400]
    assert masked_excerpt(text, 400, mask=False) == text[:400]


def test_a_number_on_the_incident_excerpt_cut_never_reaches_slack_half_masked(tmp_path) -> None:
    from datetime import datetime, timezone

    from listener.config.alerting import AlertingConfig
    from listener.incidents.engine import IncidentEngine
    from listener.incidents.growth import Growth
    from listener.incidents.risk import assess
    from listener.store import Store
    from listener.store.models import PostRow
    from listener.triage.watchlists import load_watchlists
    from sentiment import Verdict

    store = Store(f"sqlite:///{tmp_path}/x.db")
    store.create_all()
    now = datetime(2026, 11, 2, tzinfo=timezone.utc)
    text = "เน็ตล่ม ร้องเรียน " + "ก" * 370 + " 081-234-5678 ด่วน"  # the cut at 400 falls inside the number
    watchlists = load_watchlists([{"name": "net", "terms": ["เน็ตล่ม"]}])
    from listener.incidents.engine import _Outlook

    engine = IncidentEngine(AlertingConfig(), lambda: now)
    with store.session() as session:
        post = PostRow(source="s", kind="pantip", external_id="1", thread_id="1", url="https://pantip.com/topic/1",
                       title="", text=text, posted_at=now, first_seen_at=now)
        session.add(post)
        session.flush()
        verdict = Verdict(lang="th", label="negative", probs={"negative": 1.0}, complaint=0.99, cues=(), model="t")
        risk = assess(verdict, 1.0, Growth(), Growth().engagement)
        incident = engine._open(session, post, verdict, risk, "critical", _Outlook(Growth()), watchlists.get("net"),
                                ["เน็ตล่ม"], now)
        assert "081-234" not in incident.excerpt and "[phone]" in incident.excerpt
        assert "081" not in incident.title
