"""Deliver alerts to Slack through ``slack_sdk``'s WebClient, reporting failure instead of raising.

``SlackNotifier.deliver`` posts, edits or threads one rendered message and always returns a ``Delivery``
whose ``channel`` is Slack's channel id (store it with ``ts``: editing needs the id, not ``#name``):

- ``ratelimited`` (HTTP 429) → ``ok=False`` with ``retry_after`` from Slack's ``Retry-After`` header;
- HTTP 5xx, Slack's transient errors, timeouts and refused connections → ``ok=False`` with ``error``;
- anything else Slack refuses (``invalid_auth``, ``channel_not_found``, ``not_in_channel``, …) →
  ``ok=False, permanent=True``: sending the same request again cannot succeed.

slack_sdk's own retry handlers are switched off (``retry_handlers=[]``): the caller's outbox owns
retries and backoff, so a message is never sent twice behind its back and a rate limit is never slept
through inside the daemon's dispatch loop.

Every post carries the alert's ``key`` in Slack message metadata (event type ``fangsiang_alert``).
``find_sent(alert, since)`` looks for that key in the channel (or the thread, for replies) with
``conversations.history`` / ``conversations.replies``, so a caller whose process died after Slack accepted a
message, but before the answer was stored, can tell "it is there" from "it never arrived". That needs the
``channels:history`` / ``groups:history`` scopes, and ``channels:read`` / ``groups:read`` to turn a
``#name`` into the channel id those methods want.

Config keys (notifier section): ``token`` (from ``FANGSIANG_SLACK_TOKEN``), ``base_url``, ``timeout``,
``mask_personal_data``, ``username``, ``interactive``, ``broadcast_escalations``, ``timezone`` (shown times).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from alerts.render import RenderedMessage, render
from alerts.types import Alert, Delivery

log = logging.getLogger(__name__)

# Errors Slack itself documents as temporary; every other "ok": false answer is final for that request.
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "team_added_to_org"})
# When an edit target is gone (deleted, too old to edit), a fresh message keeps the incident visible.
REPOST_ON = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
DEFAULT_RETRY_AFTER = 30.0  # Slack always sends Retry-After with 429; this covers a proxy that strips it
METADATA_EVENT = "fangsiang_alert"
EDIT_KINDS = frozenset({"update", "group"})  # with ``message_ts`` set: edit that message in place
# Our clock and Slack's may disagree a little; looking back this much further costs one page at most.
CLOCK_SKEW_S = 300.0
LOOKUP_PAGE = 200
LOOKUP_MAX_PAGES = 20  # a channel busier than 4,000 messages since the attempt is not searched to the end
T = TypeVar("T")


class SlackNotifier:
    """Send ``Alert``s to Slack. One instance per workspace token; thread-safe as WebClient is."""

    def __init__(self, token: str, base_url: str | None = None, timeout: float = 10,
                 mask_personal_data: bool = True, username: str | None = None,
                 interactive: bool = False, broadcast_escalations: bool = True, timezone: str = "UTC") -> None:
        kwargs: dict[str, Any] = {"token": token, "timeout": int(max(1, round(timeout))), "retry_handlers": []}
        if base_url:
            kwargs["base_url"] = base_url
        self.client = WebClient(**kwargs)
        # Slack may still be acting on a call for as long as we would wait for its answer: a caller whose
        # process died mid-call looks the message up only after this, or it could miss one still being stored.
        self.settle_s = float(kwargs["timeout"])
        self.mask = mask_personal_data
        self.username = username
        self.interactive = interactive
        self.broadcast_escalations = broadcast_escalations
        self.timezone = timezone
        # chat.update and file shares need channel ids; posts answer with the id of a "#name", kept here.
        self._channel_ids: dict[str, str] = {}

    # -- public API -----------------------------------------------------------------------------------------
    def deliver(self, alert: Alert) -> Delivery:
        """Post, update or thread ``alert`` per its kind; never raises."""
        try:
            message = render(alert, mask=self.mask, interactive=self.interactive, timezone=self.timezone)
        except Exception as exc:  # a rendering bug must not kill the dispatcher; retrying will not fix it
            log.exception("could not render alert %s/%s", alert.incident_id, alert.kind)
            return Delivery(ok=False, channel=alert.channel, error=f"render failed: {exc}", permanent=True)
        if alert.kind in EDIT_KINDS and alert.message_ts:  # a group message is rewritten like a card
            return self._update(alert, message)
        thread_ts = alert.thread_ts if alert.kind in ("escalation", "reply") else None
        broadcast = bool(thread_ts) and alert.kind == "escalation" and self.broadcast_escalations
        return self._post(alert.channel, message, thread_ts=thread_ts, broadcast=broadcast, key=alert.key)

    def find_sent(self, alert: Alert, since: datetime) -> Delivery | None:
        """The message carrying ``alert.key`` posted since ``since``, as the ``Delivery`` its post would have
        answered; None when there is none (it never reached Slack); ``ok=False`` when Slack could not be
        asked (rate limit, outage, missing scope). Never raises.
        """
        if not alert.key:
            return None
        thread_ts = alert.thread_ts if alert.kind in ("escalation", "reply") else None

        def lookup() -> Delivery | None:
            channel = self._channel_id(alert.channel)
            if channel is None:
                return None  # no such channel visible to the bot: nothing can have been posted there
            oldest = f"{since.timestamp() - CLOCK_SKEW_S:.6f}"
            for message in self._messages_since(channel, oldest, thread_ts):
                if _key_of(message) == alert.key:
                    return Delivery(ok=True, channel=channel, ts=message.get("ts"))
            return None
        return _guard(alert.channel, lookup)

    def deliver_file(self, channel: str, png_bytes: bytes, title: str, thread_ts: str | None = None) -> Delivery:
        """Upload a PNG (e.g. the daily summary chart) into ``channel``, optionally inside a thread."""
        def upload() -> Delivery:
            response = self.client.files_upload_v2(
                channel=self._channel_ids.get(channel, channel), content=png_bytes,
                filename="fangsiang-chart.png", title=title, thread_ts=thread_ts,
            )
            file_id = (response.get("file") or {}).get("id")
            return Delivery(ok=True, channel=channel, ts=thread_ts, error="" if file_id else "no file id")
        return _guard(channel, upload)

    def check_setup(self, channels: list[str], mentions: list[str], app_token: str | None = None) -> list[Check]:
        """Ask Slack whether the token, each channel, each mention id (and the app token) work, without
        posting anything: auth.test, conversations.info/list, users.info, usergroups.list,
        apps.connections.open. One ``Check`` per thing, for ``fangsiang check --slack``."""
        checks = [_ask("token", lambda: "team {team}, bot user {user}".format(**self.client.auth_test().data))]
        if not checks[0].ok:
            return checks  # nothing else can be asked with a refused token
        checks += [_ask(f"channel {channel}", lambda c=channel: self._channel_check(c)) for channel in channels]
        groups: set[str] | None = None
        for ident in mentions:
            if ident.startswith("S"):
                if groups is None:
                    groups = {g.get("id") for g in self.client.usergroups_list().get("usergroups") or []}
                checks.append(Check(f"mention {ident}", ident in groups,
                                    "user group found" if ident in groups else "no such user group"))
            else:
                checks.append(_ask(f"mention {ident}", lambda i=ident: self._user_check(i)))
        if app_token is not None:
            checks.append(_ask("app token (buttons)", lambda: self._app_token_check(app_token)))
        return checks

    def _channel_check(self, channel: str) -> str:
        channel_id = self._channel_id(channel)
        if channel_id is None:
            raise LookupError("channel_not_found (a private channel needs the bot invited first)")
        info = self.client.conversations_info(channel=channel_id).get("channel") or {}
        return f"{channel_id}" + (" (archived)" if info.get("is_archived") else "")

    def _user_check(self, ident: str) -> str:
        user = self.client.users_info(user=ident).get("user") or {}
        if user.get("deleted"):
            raise LookupError("the user was deactivated")
        return str(user.get("name") or "user found")

    def _app_token_check(self, app_token: str) -> str:
        self.client.apps_connections_open(app_token=app_token)
        return "Socket Mode connection allowed"

    # -- internals ------------------------------------------------------------------------------------------
    def _post(self, channel: str, message: RenderedMessage, thread_ts: str | None = None,
              broadcast: bool = False, key: str = "") -> Delivery:
        def post() -> Delivery:
            extra: dict[str, Any] = {}
            if key:
                extra["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
            if thread_ts:
                extra["thread_ts"] = thread_ts
                extra["reply_broadcast"] = broadcast
            if self.username:
                extra["username"] = self.username  # needs the chat:write.customize scope
            response = self.client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks,
                                                    unfurl_links=False, unfurl_media=False, **extra)
            channel_id = response.get("channel") or channel
            self._channel_ids[channel] = channel_id
            return Delivery(ok=True, channel=channel_id, ts=response.get("ts"))
        return _guard(channel, post)

    def _update(self, alert: Alert, message: RenderedMessage) -> Delivery:
        def update() -> Delivery:
            channel = self._channel_ids.get(alert.channel, alert.channel)
            response = self.client.chat_update(channel=channel, ts=alert.message_ts, text=message.text,
                                               blocks=message.blocks)
            return Delivery(ok=True, channel=response.get("channel", alert.channel), ts=response.get("ts"))
        result = _guard(alert.channel, update)
        if not result.ok and result.error in REPOST_ON:
            log.info("message %s gone (%s); posting incident %s again", alert.message_ts, result.error,
                     alert.incident_id)
            return self._post(alert.channel, message, key=alert.key)
        return result

    def _channel_id(self, channel: str) -> str | None:
        """The id for a channel id or ``#name``; history methods refuse names, unlike chat.postMessage."""
        if not channel.startswith("#"):
            return channel
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        cursor = None
        for _ in range(LOOKUP_MAX_PAGES):
            response = self.client.conversations_list(types="public_channel,private_channel",
                                                      exclude_archived=True, limit=LOOKUP_PAGE, cursor=cursor)
            for found in response.get("channels") or []:
                if found.get("name") == channel[1:]:
                    self._channel_ids[channel] = found["id"]
                    return str(found["id"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    def _messages_since(self, channel: str, oldest: str, thread_ts: str | None) -> list[dict[str, Any]]:
        """Messages (with metadata) in the channel, or in one thread, newer than ``oldest``, page by page."""
        messages: list[dict[str, Any]] = []
        cursor = None
        for _ in range(LOOKUP_MAX_PAGES):
            options = {"channel": channel, "oldest": oldest, "include_all_metadata": True, "limit": LOOKUP_PAGE,
                       "cursor": cursor}
            response = (self.client.conversations_replies(ts=thread_ts, **options) if thread_ts
                        else self.client.conversations_history(**options))
            messages += response.get("messages") or []
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return messages


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    detail: str


def _ask(what: str, call: Callable[[], str]) -> Check:
    try:
        return Check(what, True, call())
    except SlackApiError as exc:
        data = exc.response.data if isinstance(getattr(exc.response, "data", None), dict) else {}
        return Check(what, False, str(data.get("error") or f"http {getattr(exc.response, 'status_code', '?')}"))
    except (SlackClientError, OSError, LookupError) as exc:
        return Check(what, False, str(exc))


def _key_of(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    return (metadata.get("event_payload") or {}).get("key")


def _guard(channel: str, call: Callable[[], T]) -> T | Delivery:
    """Run one Slack call and translate every failure into a ``Delivery``."""
    try:
        return call()
    except SlackApiError as exc:
        return _from_api_error(channel, exc)
    except SlackClientError as exc:
        return Delivery(ok=False, channel=channel, error=f"slack client error: {exc}")
    except OSError as exc:  # URLError, refused connection, timeout, DNS: the network, not the request
        return Delivery(ok=False, channel=channel, error=f"connection error: {exc}")
    except Exception as exc:  # an SDK surprise must not escape into the daemon
        log.exception("unexpected error talking to Slack")
        return Delivery(ok=False, channel=channel, error=f"unexpected error: {type(exc).__name__}: {exc}")


def _from_api_error(channel: str, exc: SlackApiError) -> Delivery:
    response = exc.response
    status = getattr(response, "status_code", 0) or 0
    data = response.data if isinstance(getattr(response, "data", None), dict) else {}
    error = str(data.get("error") or f"http {status}")
    if status == 429 or error == "ratelimited":
        return Delivery(ok=False, channel=channel, error="ratelimited", retry_after=_retry_after(response))
    if status >= 500:  # Slack's edge answers outages with HTML, so the status is all there is to report
        return Delivery(ok=False, channel=channel, error=f"http {status}")
    if error in TRANSIENT_ERRORS:
        return Delivery(ok=False, channel=channel, error=error)
    return Delivery(ok=False, channel=channel, error=error, permanent=True)


def _retry_after(response: Any) -> float:
    headers = getattr(response, "headers", None) or {}
    for name in ("Retry-After", "retry-after"):
        value = headers.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return float(value)
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER
