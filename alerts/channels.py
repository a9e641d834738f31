"""Alerts to channels other than Slack — Microsoft Teams, LINE-style webhooks, e-mail, any JSON or form
webhook — through apprise (its one home). Slack stays the full-featured channel: these get whole messages as
plain text (no edits in place, no threads, no buttons), so they are sent new incidents, escalations, digests
and, when asked, summaries and health notices.

``AppriseNotifier(urls)`` has the notifier contract, ``deliver(alert) -> Delivery``, and never raises: a
failed notification comes back with the reason apprise logged. ``ChannelRouter`` sends each alert to the
notifier its ``channel`` names (``apprise:<name>``) and everything else to Slack (or the console).

Config keys (through the caller): ``alerting.channels[].url_env`` (the variable holding the apprise URLs),
``alerting.mask_personal_data``.
"""

from __future__ import annotations

import itertools
import logging
from datetime import datetime
from typing import Any, Mapping

import apprise

from alerts.console import format_alert
from alerts.types import Alert, Delivery

PREFIX = "apprise:"  # outbox channel of an apprise channel: "apprise:teams-care"
NOTIFY_TYPES = {"critical": apprise.NotifyType.FAILURE, "high": apprise.NotifyType.WARNING}


def is_valid_url(url: str) -> bool:
    """Whether apprise knows how to send to `url` (checked at start-up, before any alert is at stake)."""
    return apprise.Apprise().add(url)


class AppriseNotifier:
    """Send alerts as plain text to one or more apprise URLs (all of them must take it)."""

    def __init__(self, urls: str | list[str], mask_personal_data: bool = True, timeout_s: float = 10) -> None:
        self.urls = urls.split() if isinstance(urls, str) else list(urls)
        self.mask = mask_personal_data
        self.timeout_s = timeout_s
        self._ids = itertools.count(1)

    def deliver(self, alert: Alert) -> Delivery:
        title, _, body = format_alert(alert, mask=self.mask).rstrip("-\n").partition("\n")
        notifier = apprise.Apprise()
        if not notifier.add(self.urls):
            return Delivery(ok=False, channel=alert.channel, error="apprise: URL not understood", permanent=True)
        problems: list[str] = []
        try:
            result = notifier.notify(body=body.strip() or title, title=title, body_format=apprise.NotifyFormat.TEXT,
                                     notify_type=NOTIFY_TYPES.get(alert.severity, apprise.NotifyType.INFO),
                                     timeout=self.timeout_s, log_level=logging.WARNING,
                                     log_callback=lambda entry, _plugin: problems.append(entry.message))
        except Exception as exc:  # a plugin surprise must not escape into the dispatcher
            return Delivery(ok=False, channel=alert.channel, error=f"apprise: {type(exc).__name__}: {exc}")
        if not result:
            reason = "; ".join(problems) or "notification failed"
            return Delivery(ok=False, channel=alert.channel, error=f"apprise: {reason}"[:500])
        return Delivery(ok=True, channel=alert.channel, ts=f"apprise.{next(self._ids):06d}")

    def find_sent(self, alert: Alert, since: datetime) -> Delivery | None:
        return None  # webhooks keep nothing to look up: a send cut short is sent again

    def deliver_file(self, channel: str, png_bytes: bytes, title: str, thread_ts: str | None = None) -> Delivery:
        return Delivery(ok=True, channel=channel)  # the summary chart stays a Slack feature


class ChannelRouter:
    """One notifier for the dispatcher: `apprise:<name>` channels to their notifier, the rest to `primary`."""

    def __init__(self, primary: Any, channels: Mapping[str, AppriseNotifier]) -> None:
        self.primary = primary
        self.channels = dict(channels)
        if hasattr(primary, "client"):  # Slack buttons listen with the primary's client
            self.client = primary.client

    def _for(self, channel: str) -> Any:
        if channel.startswith(PREFIX):
            return self.channels.get(channel[len(PREFIX):])
        return self.primary

    def deliver(self, alert: Alert) -> Delivery:
        notifier = self._for(alert.channel)
        if notifier is None:
            return Delivery(ok=False, channel=alert.channel, error="no such channel configured", permanent=True)
        return notifier.deliver(alert)

    def find_sent(self, alert: Alert, since: datetime) -> Delivery | None:
        finder = getattr(self._for(alert.channel), "find_sent", None)
        return finder(alert, since) if finder else None

    def deliver_file(self, channel: str, png_bytes: bytes, title: str, thread_ts: str | None = None) -> Delivery:
        upload = getattr(self._for(channel), "deliver_file", None)
        return upload(channel, png_bytes, title, thread_ts=thread_ts) if upload else Delivery(ok=True, channel=channel)
