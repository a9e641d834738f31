"""The console sink prints a readable plain-text version and behaves like Slack for ts bookkeeping."""

from __future__ import annotations

import io
from dataclasses import replace

from alerts import REGISTRY, ConsoleNotifier, SlackNotifier
from tests.alerts.examples import GOLDEN, SUMMARY, THAI_ESCALATION, THAI_NEW, THAI_UPDATE


def test_console_prints_each_kind_readably() -> None:
    stream = io.StringIO()
    notifier = ConsoleNotifier(stream=stream)
    first = notifier.deliver(THAI_NEW)
    update = notifier.deliver(replace(THAI_UPDATE, message_ts=first.ts))
    escalation = notifier.deliver(replace(THAI_ESCALATION, thread_ts=first.ts))
    assert first.ok and update.ts == first.ts and escalation.ts != first.ts
    out = stream.getvalue()
    assert "[NEW] [CRITICAL] เน็ตทรูล่มทั้งคืน" in out
    assert "https://pantip.com/topic/42424242" in out
    assert "    │ [ESCALATED] [HIGH → CRITICAL]" in out
    assert "&lt;" not in out and "<@" not in out  # plain text, no Slack markup


def test_console_lists_digest_items_and_summary_counts() -> None:
    stream = io.StringIO()
    notifier = ConsoleNotifier(stream=stream)
    notifier.deliver(GOLDEN["digest"])
    notifier.deliver(SUMMARY)
    assert notifier.deliver_file("", b"\x89PNG", "chart").ok
    out = stream.getvalue()
    assert "快递三天没到" in out and "negative 58" in out and "[file] chart" in out


def test_registry_names_both_notifiers() -> None:
    assert REGISTRY == {"slack": SlackNotifier, "console": ConsoleNotifier}
