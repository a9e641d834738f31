"""Acknowledge / Snooze / Not relevant buttons on incident cards, received over Slack Socket Mode.

``render(..., interactive=True)`` adds the buttons and a "Silence…" menu (this thread for 24 h, the
watchlist for 1 h or 4 h: action ``silence:<thread|watchlist>:<hours>``); this module turns a click into
``on_action(ActionRequest)``, a callback the daemon supplies, which answers ``"done"``, ``"already"`` (the
incident was in that state: nothing changed) or ``"refused"`` (the click did not come from that incident's
message), and tells the clicker (ephemerally) what happened. Socket Mode needs no public URL: the app opens a websocket to Slack with an
app-level token (``xapp-…``, env ``FANGSIANG_SLACK_APP_TOKEN``).

``slack_bolt`` is optional (extra ``slack-interactive``) and imported only when the listener starts;
``parse_action`` is pure and needs nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from alerts.render import ACTION_PREFIX, ACTIONS

log = logging.getLogger(__name__)

OnAction = Callable[["ActionRequest"], str]
KNOWN_ACTIONS = frozenset(action for action, _, _ in ACTIONS)
CONFIRMATIONS = {"ack": "acknowledged", "snooze": "snoozed", "not_relevant": "marked not relevant"}
ANSWERS = {"done": "Incident #{id} {what}.", "already": "Incident #{id} was already {what}; nothing changed.",
           "refused": "That button is not on incident #{id}'s message; nothing changed."}
SILENCE_ACTION = "silence"  # the "Silence…" menu: action "silence:<thread|watchlist>:<hours>"
SILENCE_SCOPES = frozenset({"thread", "watchlist"})


@dataclass(frozen=True)
class ActionRequest:
    incident_id: int
    action: str  # "ack" | "snooze" | "not_relevant"
    user_id: str
    channel: str = ""
    message_ts: str = ""


_INCIDENT_ID = re.compile(r"^[0-9]{1,18}$")  # ASCII digits only ("²".isdigit() is True); fits a 64-bit id


def parse_action(payload: Mapping[str, Any]) -> ActionRequest | None:
    """The fangsiang button click in a ``block_actions`` payload, or None when there is none.

    Anything malformed (another app's button, a forged incident id, a field of the wrong type) is ignored
    and logged rather than raised: the payload comes from outside.
    """
    if not isinstance(payload, Mapping) or payload.get("type") != "block_actions":
        return None
    user_id = str(_field(payload, "user", "id"))
    channel = str(_field(payload, "channel", "id") or _field(payload, "container", "channel_id"))
    message_ts = str(_field(payload, "message", "ts") or _field(payload, "container", "message_ts"))
    actions = payload.get("actions")
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, Mapping):
            continue
        action_id = str(action.get("action_id", ""))
        if not action_id.startswith(ACTION_PREFIX):
            continue  # another app's button
        name, value = action_id[len(ACTION_PREFIX):], str(action.get("value", ""))
        if name in KNOWN_ACTIONS and _INCIDENT_ID.match(value) and user_id and channel and message_ts:
            return ActionRequest(int(value), name, user_id, channel, message_ts)
        selected = action.get("selected_option")
        chosen = _silence_choice(str(selected.get("value", ""))) if isinstance(selected, Mapping) else None
        if name == SILENCE_ACTION and chosen is not None and user_id and channel and message_ts:
            return ActionRequest(chosen[0], chosen[1], user_id, channel, message_ts)
    log.warning("button click ignored: no well-formed fangsiang action in it (action ids %s)",
                [str(a.get("action_id"))[:60] for a in actions if isinstance(a, Mapping)][:5]
                if isinstance(actions, list) else type(actions).__name__)
    return None


def _field(payload: Mapping[str, Any], section: str, key: str) -> Any:
    """``payload[section][key]``, or "" when either is missing or not what Slack sends."""
    part = payload.get(section)
    value = part.get(key) if isinstance(part, Mapping) else None
    return value if isinstance(value, (str, int)) else ""


def _silence_choice(value: str) -> tuple[int, str] | None:
    """"42:thread:24" -> (42, "silence:thread:24"); None for anything else."""
    incident, _, rest = value.partition(":")
    scope, _, hours = rest.partition(":")
    if _INCIDENT_ID.match(incident) and scope in SILENCE_SCOPES and re.fullmatch(r"[0-9]{1,4}", hours) \
            and 0 < int(hours) <= 24 * 366:
        return int(incident), f"{SILENCE_ACTION}:{scope}:{int(hours)}"
    return None


def confirmation(action: str) -> str:
    if action.startswith(SILENCE_ACTION + ":"):
        _, scope, hours = action.split(":")
        what = "its thread" if scope == "thread" else "its watchlist"
        return f"silenced: {what} for {hours} h (alerts are still recorded)"
    return CONFIRMATIONS[action]


class InteractiveListener:
    """Receive button clicks over Socket Mode and hand them to ``on_action``.

    ``client`` is a slack_sdk WebClient (``SlackNotifier(...).client``), so the same token and base URL
    serve both sending and answering clicks.
    """

    def __init__(self, app_token: str, client: Any, on_action: OnAction) -> None:
        self.app_token = app_token
        self.on_action = on_action
        self.app = self._build_app(client)
        self._handler: Any = None

    def _build_app(self, client: Any) -> Any:
        from slack_bolt import App  # optional dependency: only needed when buttons are switched on

        # Socket Mode traffic is authenticated by the app token, so there is no request signature to check.
        # process_before_response: the callback (a quick database write) finishes before Slack gets its ack,
        # so a click is never acknowledged and then lost.
        app = App(client=client, request_verification_enabled=False, process_before_response=True)
        app.action(re.compile("^" + ACTION_PREFIX))(self._handle)
        return app

    def _handle(self, ack: Callable[[], None], body: dict[str, Any], client: Any) -> None:
        ack()
        request = parse_action(body)
        if request is None:
            return
        try:
            outcome = self.on_action(request)
        except Exception:  # a failing callback must not close the websocket
            log.exception("action %s on incident %s failed", request.action, request.incident_id)
            self._tell(client, request, f"Could not record that for incident #{request.incident_id}; try again.")
            return
        if outcome == "refused":
            log.warning("click on incident %s refused: it came from %s/%s, not from the incident's message",
                        request.incident_id, request.channel, request.message_ts)
        answer = ANSWERS.get(outcome, ANSWERS["done"])
        self._tell(client, request, answer.format(id=request.incident_id, what=confirmation(request.action)))

    @staticmethod
    def _tell(client: Any, request: ActionRequest, text: str) -> None:
        if not request.channel:
            return
        try:
            client.chat_postEphemeral(channel=request.channel, user=request.user_id, text=text)
        except Exception as exc:  # the confirmation is a courtesy; the action is already recorded
            log.warning("could not confirm action to %s: %s", request.user_id, exc)

    def dispatch(self, payload: dict[str, Any]) -> int:
        """Run one interaction payload (as Socket Mode delivers it) through the app; returns the ack status.

        Socket Mode calls this path itself; it is public for replaying a payload by hand and for tests.
        """
        from slack_bolt.request import BoltRequest

        return self.app.dispatch(BoltRequest(body=payload, mode="socket_mode")).status

    def start(self, block: bool = False) -> str | None:
        """Open the websocket; with ``block`` run until interrupted, else return once connected.

        Returns None when connected, or why not (Slack refused the app token, or could not be reached):
        the caller runs on without buttons instead of dying at start.
        """
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self._handler = SocketModeHandler(self.app, self.app_token)
        try:
            if block:
                self._handler.start()
            else:
                self._handler.connect()
        except Exception as exc:  # SlackApiError (invalid_auth, not_allowed_token_type) or a network error
            self.close()
            data = getattr(getattr(exc, "response", None), "data", None)
            return str(data.get("error")) if isinstance(data, dict) and data.get("error") else type(exc).__name__
        return None

    def close(self) -> None:
        if self._handler is not None:
            handler, self._handler = self._handler, None
            try:
                handler.close()
            except Exception as exc:  # closing a connection that never opened
                log.debug("socket mode close: %s", exc)
