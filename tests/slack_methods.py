"""The Slack Web API methods the local test server implements (see tests/slack_server.py).

Each method takes the server (its lock held) and the request parameters and returns the JSON answer,
with the errors real Slack gives for the same mistakes (channel_not_found, message_not_found, ...).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from tests.slack_server import SlackTestServer


def _auth_test(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "url": srv.url + "/", "team": "fangsiang-test", "user": "fangsiang", "team_id": "T0TEST",
            "user_id": "U0BOT", "bot_id": "B0BOT"}


def _post_message(srv: SlackTestServer, p: dict[str, Any], ephemeral: bool = False) -> dict[str, Any]:
    channel = srv._resolve(p.get("channel"))
    if channel is None:
        return {"ok": False, "error": "channel_not_found"}
    if not p.get("text") and not p.get("blocks"):
        return {"ok": False, "error": "no_text"}
    ts = srv._next_ts()
    if ephemeral:
        return {"ok": True, "message_ts": ts}
    message = {"ts": ts, "channel": channel, "text": p.get("text", ""), "blocks": _blocks(p.get("blocks")),
               "user": "U0BOT", "username": p.get("username")}
    if p.get("metadata"):
        message["metadata"] = _json(p["metadata"])
    if p.get("thread_ts"):
        parents = [m for m in srv._state.messages.get(channel, []) if m["ts"] == p["thread_ts"]]
        if not parents:
            return {"ok": False, "error": "thread_not_found"}
        message["thread_ts"] = p["thread_ts"]
        message["reply_broadcast"] = _truthy(p.get("reply_broadcast"))
    srv._state.messages.setdefault(channel, []).append(message)
    return {"ok": True, "channel": channel, "ts": ts, "message": message}


def _update(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    channel = srv._resolve(p.get("channel"), allow_name=False)
    if channel is None:
        return {"ok": False, "error": "channel_not_found"}
    for message in srv._state.messages.get(channel, []):
        if message["ts"] == p.get("ts"):
            message["text"] = p.get("text", message["text"])
            if "blocks" in p:
                message["blocks"] = _blocks(p["blocks"])
            message["edited"] = message.get("edited", 0) + 1
            return {"ok": True, "channel": channel, "ts": message["ts"], "text": message["text"]}
    return {"ok": False, "error": "message_not_found"}


def _replies(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    channel = srv._resolve(p.get("channel"), allow_name=False)
    if channel is None:
        return {"ok": False, "error": "channel_not_found"}
    ts = p.get("ts")
    thread = [m for m in srv._state.messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
    if not thread:
        return {"ok": False, "error": "thread_not_found"}
    return _page([m for m in thread if _after(m, p.get("oldest"))], p)


def _history(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    """Top-level messages (and replies also sent to the channel) newer than ``oldest``, newest first."""
    channel = srv._resolve(p.get("channel"), allow_name=False)
    if channel is None:
        return {"ok": False, "error": "channel_not_found"}
    shown = [m for m in srv._state.messages.get(channel, [])
             if (m.get("thread_ts") in (None, m["ts"]) or m.get("reply_broadcast")) and _after(m, p.get("oldest"))]
    return _page(shown[::-1], p)


def _list(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    known = srv.channels if srv.channels is not None else {cid: name for name, cid in srv._auto_ids.items()}
    return _page([{"id": cid, "name": name, "is_channel": True} for cid, name in known.items()], p,
                 key="channels")


def _page(items: list[dict[str, Any]], p: dict[str, Any], key: str = "messages") -> dict[str, Any]:
    """One page of ``items`` per ``limit``/``cursor`` (an offset here); metadata only when asked for, as Slack."""
    start, limit = int(p.get("cursor") or 0), int(p.get("limit") or 100)
    chunk = [dict(item) for item in items[start:start + limit]]
    if not _truthy(p.get("include_all_metadata")):
        for item in chunk:
            item.pop("metadata", None)
    more = start + limit < len(items)
    return {"ok": True, key: chunk, "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def _after(message: dict[str, Any], oldest: Any) -> bool:
    return not oldest or float(message["ts"]) > float(oldest)


def _get_upload_url(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    file_id = srv._register_upload(str(p.get("filename", "")))
    return {"ok": True, "upload_url": f"{srv.url}/upload/{file_id}", "file_id": file_id}


def _complete_upload(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    channel = p.get("channel_id") or p.get("channels")
    if channel and srv._resolve(channel, allow_name=False) is None:
        return {"ok": False, "error": "channel_not_found"}
    items = p.get("files")
    items = json.loads(items) if isinstance(items, str) else items or []
    done = []
    for item in items:
        uploaded = srv._state.files.get(item.get("id", ""))
        if uploaded is None or not uploaded.data:
            return {"ok": False, "error": "file_not_found"}
        uploaded.title = item.get("title") or uploaded.filename
        uploaded.channel = srv._resolve(channel) if channel else None
        uploaded.thread_ts = p.get("thread_ts")
        uploaded.completed = True
        done.append({"id": uploaded.id, "title": uploaded.title, "name": uploaded.filename})
    return {"ok": True, "files": done}


def _conversation_info(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    channel = srv._resolve(p.get("channel"), allow_name=False)
    if channel is None:
        return {"ok": False, "error": "channel_not_found"}
    return {"ok": True, "channel": {"id": channel, "is_archived": False}}


def _users_info(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    if srv.users is not None and p.get("user") not in srv.users:
        return {"ok": False, "error": "user_not_found"}
    return {"ok": True, "user": {"id": p.get("user"), "name": f"user-{p.get('user')}", "deleted": False}}


def _usergroups(srv: SlackTestServer, p: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "usergroups": [{"id": ident} for ident in sorted(srv.usergroups or ())]}


METHODS: dict[str, Callable[[SlackTestServer, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.postEphemeral": lambda srv, p: _post_message(srv, p, ephemeral=True),
    "chat.update": _update,
    "conversations.replies": _replies,
    "conversations.history": _history,
    "conversations.list": _list,
    "conversations.info": _conversation_info,
    "users.info": _users_info,
    "usergroups.list": _usergroups,
    "apps.connections.open": lambda srv, p: {"ok": True, "url": "ws://127.0.0.1:9/socket"},
    "files.getUploadURLExternal": _get_upload_url,
    "files.completeUploadExternal": _complete_upload,
}


def _json(value: Any) -> Any:
    # Form-encoded calls carry objects as JSON strings; JSON calls carry the objects themselves.
    return json.loads(value) if isinstance(value, str) else value


def _blocks(value: Any) -> list[dict[str, Any]]:
    # Form-encoded calls carry blocks as a JSON string; JSON calls carry the list itself.
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])


def _truthy(value: Any) -> bool:
    return value in (True, "true", "1", 1)


