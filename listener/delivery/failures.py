"""Delivery failures made loud: one log line per failed attempt with Slack's reason and what fixes it, and the
short reason label that metrics count by.

Reads no config. The dispatcher calls `log_failure`; the pipeline counts `reason_label`s in
`fangsiang_delivery_failures_total{reason, outcome}`.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("listener.delivery")

# What a person can do about a refusal that will not get better by retrying.
HINTS = {
    "invalid_auth": "the Slack token is wrong: set a valid xoxb-… token in $FANGSIANG_SLACK_TOKEN and restart",
    "not_authed": "no Slack token was sent: set $FANGSIANG_SLACK_TOKEN and restart",
    "token_revoked": "the Slack token was revoked: reinstall the app and set the new token",
    "account_inactive": "the Slack app was uninstalled or its user deactivated: reinstall it",
    "channel_not_found": "no such channel, or a private one the bot is not in: fix the name or /invite the bot",
    "not_in_channel": "the bot is not in that channel: /invite it",
    "is_archived": "the channel is archived: route the watchlist elsewhere",
    "missing_scope": "the Slack app lacks a scope: update it from slack-app-manifest.yaml and reinstall",
}


def reason_label(error: str) -> str:
    """A bounded label for metrics: Slack's error code, or the kind of failure without its free text."""
    return (error or "unknown").split(":", 1)[0].strip()[:60] or "unknown"


def log_failure(row: Any, error: str, *, dead: bool, retry_in_s: float | None = None) -> None:
    """Say what failed, why, and (for a dead alert) how to fix it and send it again."""
    what = f"{row.kind} alert {row.id} (incident {row.incident_id or '-'}) to {row.channel or '-'}"
    if not dead:
        wait = f"; retrying in {retry_in_s:.0f}s" if retry_in_s is not None else ""
        log.warning("delivery failed: %s: %s (attempt %d)%s", what, error, row.attempts, wait)
        return
    hint = HINTS.get(reason_label(error), "")
    log.error("delivery gave up: %s: %s after %d attempt(s)%s; once fixed: fangsiang outbox resend --id %d "
              "(or --all-dead)", what, error, row.attempts, f"; {hint}" if hint else "", row.id)
