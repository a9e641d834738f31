"""A local Slack-compatible Web API server for tests.

The real ``slack_sdk.WebClient`` talks to it over HTTP on 127.0.0.1 when built with
``base_url=server.url + "/api/"``. It implements the methods fangsiang uses (auth.test, chat.postMessage,
chat.update, chat.postEphemeral, conversations.history / .replies / .list / .info, users.info,
usergroups.list, apps.connections.open (with the app token) and the three steps of files_upload_v2), keeps the posted messages (with their ``metadata``) for assertions, records every request,
and can be told to fail: answer ``ratelimited`` with HTTP 429 and ``Retry-After``, answer HTTP 500, stop
listening altogether and come back on the same port, or accept a message and never answer (the moment a
sender can die in: Slack has the message, the sender does not know).

Message timestamps follow ``clock`` (real time unless a test passes its own), so ``oldest`` filters work.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

from tests.quiet_http import QuietThreadingHTTPServer
from tests.slack_methods import METHODS

@dataclass
class RecordedRequest:
    method: str  # Slack API method, e.g. "chat.postMessage", or "upload" for the file upload URL
    params: dict[str, Any]
    token: str | None
    status: int = 200  # what the server answered
    answered: bool = True  # False when it was accepted and the answer held back (see hang_after_accepting)


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None = None


@dataclass
class UploadedFile:
    id: str
    filename: str
    data: bytes = b""
    title: str = ""
    channel: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class _State:
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel id -> messages
    files: dict[str, UploadedFile] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    hangs: dict[str, int] = field(default_factory=dict)  # method -> calls still to accept without answering
    counter: int = 0


class SlackTestServer:
    """Start with ``start()`` (or use as a context manager); ``url`` is ``http://127.0.0.1:<port>``.

    ``channels`` maps channel ids to names; when given, any other channel answers ``channel_not_found``
    (names like ``#alerts`` resolve to their id). When ``None`` every channel exists.
    """

    def __init__(self, token: str = "xoxb-test-token", channels: dict[str, str] | None = None,
                 clock: Callable[[], datetime] | None = None, users: set[str] | None = None,
                 usergroups: set[str] | None = None, app_token: str = "xapp-test-token") -> None:
        self.token = token
        self.channels = channels
        self.users = users  # None: every user id exists (users.info)
        self.usergroups = usergroups  # the ids usergroups.list answers
        self.app_token = app_token  # the only token apps.connections.open accepts
        self.clock = clock
        self.hung = threading.Event()  # set once a call was accepted and left unanswered
        self._unhang = threading.Event()
        self._state = _State()
        self._auto_ids: dict[str, str] = {}  # "#name" -> made-up id, when no channels are configured
        self._lock = threading.Lock()
        self._httpd: QuietThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What to pass to ``WebClient(base_url=...)``."""
        return self.url + "/api/"

    def start(self) -> "SlackTestServer":
        handler = type("BoundHandler", (_RequestHandler,), {"server_state": self})
        httpd = QuietThreadingHTTPServer(("127.0.0.1", self.port), handler)
        httpd.daemon_threads = True
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slack-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._unhang.set()  # let held requests go, so their threads end
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def go_down(self) -> None:
        """Stop listening: clients now get 'connection refused' until ``come_up()``."""
        self.stop()

    def come_up(self) -> None:
        """Listen again on the same port, with all stored messages intact."""
        if self._httpd is None:
            self._unhang.clear()
            self.start()

    def __enter__(self) -> "SlackTestServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- fault injection -------------------------------------------------------------------------------
    def fail_ratelimited(self, count: int = 1, retry_after: int = 3) -> None:
        """The next ``count`` API calls answer HTTP 429 ``ratelimited`` with ``Retry-After``."""
        with self._lock:
            self._state.faults += [_Fault(429, "ratelimited", retry_after) for _ in range(count)]

    def fail_server_error(self, count: int = 1, status: int = 500) -> None:
        """The next ``count`` API calls answer a bare HTTP 5xx, as Slack's edge does during an outage."""
        with self._lock:
            self._state.faults += [_Fault(status, "") for _ in range(count)]

    def fail_with(self, error: str, count: int = 1) -> None:
        """The next ``count`` API calls answer HTTP 200 ``{"ok": false, "error": error}``."""
        with self._lock:
            self._state.faults += [_Fault(200, error) for _ in range(count)]

    def hang_after_accepting(self, method: str = "chat.postMessage", count: int = 1) -> None:
        """The next ``count`` calls to ``method`` take effect (a post is stored) but get no answer until the
        server stops; ``hung`` is set when the first one arrives. The client sees a timeout, or dies waiting."""
        with self._lock:
            self._state.hangs[method] = self._state.hangs.get(method, 0) + count

    # -- accessors for assertions ------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every request made to ``method``, in order."""
        return [r.params for r in self.requests if r.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in ``channel`` (top level and replies), oldest first, as currently stored."""
        with self._lock:
            return [dict(m) for m in self._state.messages.get(self._resolve(channel) or "", [])]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        found = [m for m in self.messages(channel) if m["ts"] == ts]
        if not found:
            raise KeyError(f"no message {ts} in {channel}")
        return found[0]

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies under ``thread_ts`` (the parent not included), oldest first."""
        return [m for m in self.messages(channel) if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]

    @property
    def files(self) -> list[UploadedFile]:
        with self._lock:
            return [f for f in self._state.files.values() if f.completed]

    # -- internals used by the request handler -----------------------------------------------------------
    def _resolve(self, channel: str | None, allow_name: bool = True) -> str | None:
        """The channel id for an id or a ``#name``; None when Slack would answer channel_not_found.

        Like Slack, chat.update accepts only ids (``allow_name=False``). Without configured channels every
        id exists and every ``#name`` gets a stable made-up id on first use.
        """
        if not channel:
            return None
        if channel.startswith("#"):
            if not allow_name:
                return None
            name = channel[1:]
            if self.channels is None:
                return self._auto_ids.setdefault(name, f"C0AUTO{len(self._auto_ids) + 1:04d}")
            return next((cid for cid, cname in self.channels.items() if cname == name), None)
        if self.channels is None or channel in self.channels:
            return channel
        return None

    def _next_ts(self) -> str:
        self._state.counter += 1
        seconds = self.clock().timestamp() if self.clock else time.time()
        return f"{int(seconds)}.{self._state.counter:06d}"  # the counter keeps ts unique and increasing

    def _register_upload(self, filename: str) -> str:
        self._state.counter += 1
        file_id = f"F{self._state.counter:08d}"
        self._state.files[file_id] = UploadedFile(id=file_id, filename=filename)
        return file_id

    def _take_fault(self) -> _Fault | None:
        return self._state.faults.pop(0) if self._state.faults else None

    def handle(self, method: str, params: dict[str, Any],
               token: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one API call: (HTTP status, JSON body, extra headers)."""
        with self._lock:
            record = RecordedRequest(method, params, token)
            self._state.requests.append(record)
            fault = self._take_fault()
            if fault is not None:
                record.status = fault.status
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                body = {"ok": False, "error": fault.error} if fault.error else {}
                return fault.status, body, headers
            if token != (self.app_token if method == "apps.connections.open" else self.token):
                return 200, {"ok": False, "error": "invalid_auth" if token else "not_authed"}, {}
            action = METHODS.get(method)
            if action is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            answer = action(self, params)
            if self._state.hangs.get(method):
                self._state.hangs[method] -= 1
                record.answered = False
                self.hung.set()
                return 0, answer, {}  # status 0: the handler holds the answer back
            return 200, answer, {}

    def hold_answer(self) -> None:
        """Block a request handler until the server stops (called outside the lock)."""
        self._unhang.wait()

    def store_upload(self, file_id: str, data: bytes) -> bool:
        with self._lock:
            self._state.requests.append(RecordedRequest("upload", {"file_id": file_id, "length": len(data)}, None))
            uploaded = self._state.files.get(file_id)
            if uploaded is None:
                return False
            uploaded.data = data
            return True


class _RequestHandler(BaseHTTPRequestHandler):
    server_state: SlackTestServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        path = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.path.startswith("/upload/"):
            ok = self.server_state.store_upload(path.path.rsplit("/", 1)[1], raw)
            self._send(200 if ok else 404, b"OK - %d" % len(raw) if ok else b"not found", "text/plain")
            return
        if not path.path.startswith("/api/"):
            self._send(404, b"not found", "text/plain")
            return
        params = dict(parse_qsl(path.query))
        params.update(self._body_params(raw))
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else params.pop("token", None)
        status, body, headers = self.server_state.handle(path.path[len("/api/"):], params, token)
        if status == 0:
            self.server_state.hold_answer()
            self.close_connection = True
            return
        payload = json.dumps(body).encode() if body else b"<html><body>Server Error</body></html>"
        self._send(status, payload, "application/json" if body else "text/html", headers)

    def _body_params(self, raw: bytes) -> dict[str, Any]:
        ctype = self.headers.get("Content-Type", "")
        if not raw:
            return {}
        if ctype.startswith("application/json"):
            return json.loads(raw.decode("utf-8"))
        return dict(parse_qsl(raw.decode("utf-8")))

    def _send(self, status: int, payload: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def serve(token: str = "xoxb-test-token", channels: dict[str, str] | None = None) -> Iterator[SlackTestServer]:
    """Generator for pytest fixtures: a started server, stopped afterwards."""
    server = SlackTestServer(token=token, channels=channels).start()
    try:
        yield server
    finally:
        server.stop()
