"""A local HTTP server on 127.0.0.1 that answers from captured files, for end-to-end scraper tests.

Routes are registered by method and path (optionally a query subset); each route answers with one
`Answer` or a sequence of them (the last one repeats), e.g. a 429 with `Retry-After: 1` and then the
captured page. Every request that arrives is recorded so tests can assert on headers, query and body.

    with FixtureServer() as server:
        server.add("GET", "/topic/1", file=FIXTURES / "pantip/topic.html")
        server.add_sequence("GET", "/api", [Answer(status=429, headers={"Retry-After": "1"}), Answer(body=b"{}")])
        client.get(server.url("/topic/1"))
        assert server.requests[0].headers["user-agent"].startswith("fangsiang")

Hostile answers for robustness tests: `drip_s` sends the whole answer (status line and headers too) one
byte at a time, `drip_s` apart (giving up after `DRIP_FOR_S`; `drip_head=False` sends the headers at
once and drips the body); `length=False` leaves out Content-Length
and closes the connection after the body, so only the client can stop a body that never ends.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Iterator, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

from tests.quiet_http import QuietThreadingHTTPServer

FIXTURES = Path(__file__).parent / "fixtures"
DRIP_FOR_S = 60.0  # a dripping answer stops by itself after this long, so no handler outlives its test by much


@dataclass(frozen=True)
class Answer:
    """One response: status, body, headers, an optional delay before the headers are sent, and the
    hostile variants described in the module docstring (`drip_s`, `length`)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drip_s: float = 0.0
    drip_head: bool = True  # False: headers at once, then the body drips
    length: bool = True

    @classmethod
    def from_file(cls, path: Path | str, *, status: int = 200, headers: Mapping[str, str] | None = None,
                  content_type: str | None = None, delay_s: float = 0.0) -> "Answer":
        path = Path(path)
        merged = {"Content-Type": content_type or _guess_type(path)}
        merged.update(headers or {})
        return cls(status=status, body=path.read_bytes(), headers=merged, delay_s=delay_s)

    @classmethod
    def text(cls, body: str, *, status: int = 200, content_type: str = "text/plain; charset=utf-8",
             headers: Mapping[str, str] | None = None, delay_s: float = 0.0) -> "Answer":
        merged = {"Content-Type": content_type}
        merged.update(headers or {})
        return cls(status=status, body=body.encode("utf-8"), headers=merged, delay_s=delay_s)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def param(self, name: str) -> str | None:
        """First value of a query parameter, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Route:
    method: str
    path: str
    query: dict[str, str]
    answers: list[Answer]
    require_headers: dict[str, str]
    served: int = 0

    def matches(self, method: str, path: str, query: dict[str, list[str]]) -> bool:
        if method != self.method or path != self.path:
            return False
        return all(query.get(k, [None])[0] == v for k, v in self.query.items())

    def next_answer(self) -> Answer:
        # The last answer repeats so a route with one answer serves any number of requests.
        answer = self.answers[min(self.served, len(self.answers) - 1)]
        self.served += 1
        return answer


def _guess_type(path: Path) -> str:
    if path.suffix == ".json":
        return "application/json; charset=utf-8"
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")


class FixtureServer:
    """Threaded HTTP server on a random port of 127.0.0.1; use as a context manager."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._httpd = QuietThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown (every test's teardown) quick.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def add(self, method: str, path: str, *, body: bytes | str = b"", file: Path | str | None = None,
            status: int = 200, headers: Mapping[str, str] | None = None, content_type: str | None = None,
            query: Mapping[str, str] | None = None, delay_s: float = 0.0,
            require_headers: Mapping[str, str] | None = None) -> None:
        """Register a route answering one response (from `file` or `body`) to every matching request."""
        if file is not None:
            answer = Answer.from_file(file, status=status, headers=headers, content_type=content_type,
                                      delay_s=delay_s)
        else:
            raw = body.encode("utf-8") if isinstance(body, str) else body
            merged = {"Content-Type": content_type} if content_type else {}
            merged.update(headers or {})
            answer = Answer(status=status, body=raw, headers=merged, delay_s=delay_s)
        self.add_sequence(method, path, [answer], query=query, require_headers=require_headers)

    def add_sequence(self, method: str, path: str, answers: Sequence[Answer], *,
                     query: Mapping[str, str] | None = None,
                     require_headers: Mapping[str, str] | None = None) -> None:
        """Register a route answering `answers` in order; the last one repeats."""
        if not answers:
            raise ValueError("a route needs at least one answer")
        route = _Route(method.upper(), path, dict(query or {}), list(answers),
                       {k.lower(): v for k, v in (require_headers or {}).items()})
        with self._lock:
            # Newer and more specific routes win, so a test can override a general route.
            self._routes.insert(0, route)
            self._routes.sort(key=lambda r: -len(r.query))

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    def _answer(self, request: RecordedRequest) -> Answer:
        with self._lock:
            self.requests.append(request)
            route = next((r for r in self._routes if r.matches(request.method, request.path, request.query)),
                         None)
            if route is None:
                return Answer.text(f"no route for {request.method} {request.path}", status=404)
            for name, expected in route.require_headers.items():
                if request.headers.get(name) != expected:
                    return Answer.text(f"header {name} missing or wrong", status=400)
            return route.next_answer()

    def __enter__(self) -> "FixtureServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _make_handler(server: FixtureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = RecordedRequest(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                                      {k.lower(): v for k, v in self.headers.items()}, body)
            answer = server._answer(request)
            if answer.delay_s:
                time.sleep(answer.delay_s)
            try:
                if answer.drip_s:
                    self._drip(answer)
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.length:
                    self.send_header("Content-Length", str(len(answer.body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD" and answer.status not in (204, 304):
                    self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. a timeout test); nothing left to answer

        def _drip(self, answer: Answer) -> None:
            head = [f"HTTP/1.1 {answer.status} Dripping", *(f"{k}: {v}" for k, v in answer.headers.items()),
                    f"Content-Length: {len(answer.body)}", "", ""]
            raw = "\r\n".join(head).encode("latin-1") + answer.body
            self.close_connection = True
            stop_at = time.monotonic() + DRIP_FOR_S
            if not answer.drip_head:
                at = raw.index(b"\r\n\r\n") + 4
                self.wfile.write(raw[:at])
                self.wfile.flush()
                raw = raw[at:]
            for byte in raw:
                if time.monotonic() > stop_at:
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(answer.drip_s)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean; requests are recorded instead

    return Handler


def serve() -> Iterator[FixtureServer]:
    """Generator for a pytest fixture: `yield from serve()`."""
    with FixtureServer() as server:
        yield server
