"""Print alerts as readable plain text: the sink used when no Slack token is configured, and by the demo.

It has the same ``deliver(alert) -> Delivery`` contract as ``SlackNotifier``: an update keeps the ts of the
message it edits and thread replies are indented under their parent, so a dry run reads like the channel
would.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from typing import TextIO

from alerts.mrkdwn import strip_controls
from alerts.privacy import mask_personal_data
from alerts.types import Alert, Delivery

WIDTH = 78


class ConsoleNotifier:
    """Write each alert to ``stream``; always succeeds with a made-up, increasing ts."""

    def __init__(self, stream: TextIO | None = None, mask_personal_data: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.mask = mask_personal_data
        self._counter = 0
        self._lock = threading.Lock()

    def deliver(self, alert: Alert) -> Delivery:
        text = format_alert(alert, mask=self.mask)
        if alert.kind in ("escalation", "reply") and alert.thread_ts:
            text = "\n".join("    │ " + line for line in text.splitlines())
        with self._lock:
            if alert.kind in ("update", "group") and alert.message_ts:
                ts = alert.message_ts
            else:
                self._counter += 1
                ts = f"console.{self._counter:06d}"
            print(text, file=self.stream, flush=True)
        return Delivery(ok=True, channel=alert.channel or "console", ts=ts)

    def find_sent(self, alert: Alert, since: datetime) -> Delivery | None:
        """A terminal keeps no messages to look up: an alert cut short is printed again."""
        return None

    def deliver_file(self, channel: str, png_bytes: bytes, title: str, thread_ts: str | None = None) -> Delivery:
        print(f"[file] {title} ({len(png_bytes):,} bytes PNG) → {channel or 'console'}", file=self.stream, flush=True)
        return Delivery(ok=True, channel=channel or "console", ts=thread_ts)


def _numbers(values: dict[str, int] | dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in values.items())


def format_alert(alert: Alert, mask: bool = True) -> str:
    """A plain-text rendering of ``alert`` (no Slack markup)."""
    def clean(text: str) -> str:
        return strip_controls(mask_personal_data(text) if mask else text)

    head = {"new": "NEW", "update": "UPDATED", "escalation": "ESCALATED", "reply": "NEW COMMENT", "digest": "DIGEST",
            "summary": "SUMMARY", "group": "GROUPED", "health": "SOURCE HEALTH"}.get(alert.kind, alert.kind.upper())
    tier = f"{alert.previous_severity} → {alert.severity}" if alert.previous_severity else alert.severity
    lines = [f"[{head}] [{tier.upper()}] {clean(' '.join(alert.title.split()))}".rstrip()]
    if alert.kind in ("digest", "summary", "group"):
        if alert.counts:
            lines.append("  counts: " + _numbers(alert.counts))
        lines += [f"  - {clean(item.title)} (risk {item.risk:.2f}) {item.url}" for item in alert.items]
    else:
        if alert.url:
            lines.append(f"  {alert.url}")
        if alert.excerpt:
            lines += ["  > " + line for line in clean(alert.excerpt).splitlines()]
        lines.append(f"  risk {alert.risk:.2f} · {alert.watchlist} · {alert.lang} · why: {clean(alert.reason)}")
        if alert.engagement or alert.growth:
            lines.append(f"  engagement: {_numbers(alert.engagement)}  growth: {_numbers(alert.growth)}")
    if alert.mentions and alert.kind != "update":
        lines.append("  cc " + " ".join(alert.mentions))
    return "\n".join(lines + ["-" * WIDTH])
