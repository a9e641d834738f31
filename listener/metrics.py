"""Prometheus metrics and the local HTTP endpoint that serves them, with the probes next to them:
`/metrics`, `/healthz` (the process answers: 200) and `/readyz` (200 once every readiness check passes — the
database answers and the scheduler runs — else 503 with what is not ready, as JSON). The one home of
prometheus_client.

Reads config keys `metrics.enabled`, `metrics.host`, `metrics.port`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from socketserver import ThreadingMixIn
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
POSTS_INGESTED = Counter("fangsiang_posts_ingested_total", "New posts stored", ["source"], registry=REGISTRY)
POSTS_REJECTED = Counter("fangsiang_posts_rejected_total", "Posts set aside because the store could not keep them",
                         ["source"], registry=REGISTRY)
SOURCE_ERRORS = Counter("fangsiang_source_errors_total", "Failed source runs", ["source"], registry=REGISTRY)
SOURCE_DEGRADED = Gauge("fangsiang_source_degraded", "1 while a source is degraded", ["source"], registry=REGISTRY)
POSTS_SCORED = Counter("fangsiang_posts_scored_total", "Posts scored by the model", registry=REGISTRY)
POSTS_MATCHED = Counter("fangsiang_posts_matched_total", "Posts that matched a watchlist", ["watchlist"],
                        registry=REGISTRY)
ALERTS_SENT = Counter("fangsiang_alerts_sent_total", "Alerts delivered to Slack (or the console)", registry=REGISTRY)
ALERTS_FAILED = Counter("fangsiang_alert_failures_total", "Failed delivery attempts (retried, or dead)",
                        registry=REGISTRY)
DELIVERY_FAILURES = Counter("fangsiang_delivery_failures_total",
                            "Failed deliveries by the channel's reason; outcome retry (tried again) or dead (gave up)",
                            ["reason", "outcome"], registry=REGISTRY)
OUTBOX_WAITING = Gauge("fangsiang_outbox_waiting", "Alerts waiting in the outbox (retrying or held)",
                       registry=REGISTRY)
SCORE_SECONDS = Histogram("fangsiang_score_batch_seconds", "Time to score one batch", registry=REGISTRY)


class Readiness:
    """Named checks behind /readyz; each raises (or returns False) when its part is not ready.

    A part still starting is `expect`ed: /readyz says "starting" for it until its check is `add`ed.
    """

    def __init__(self, expected: Iterable[str] = ()) -> None:
        self._checks: dict[str, Callable[[], Any] | None] = {name: None for name in expected}
        self._lock = threading.Lock()

    def add(self, name: str, check: Callable[[], Any]) -> None:
        with self._lock:
            self._checks[name] = check

    def report(self) -> dict[str, str]:
        """"ok" or the problem, per check."""
        with self._lock:
            checks = dict(self._checks)
        report = {}
        for name, check in checks.items():
            try:
                report[name] = "starting" if check is None else ("ok" if check() is not False else "not running")
            except Exception as exc:  # a probe reports, it never raises
                report[name] = f"{type(exc).__name__}: {exc}"[:300]
        return report


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a scrape every 15 s is not news


def probes_app(readiness: Readiness | None) -> Callable[..., Any]:
    """A WSGI app: /healthz and /readyz here, everything else is the Prometheus exposition."""
    prometheus = make_wsgi_app(REGISTRY)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _json(start_response, 200, {"status": "alive"})
        if path == "/readyz":
            report = readiness.report() if readiness else {}
            ready = all(v == "ok" for v in report.values())
            return _json(start_response, 200 if ready else 503, {"ready": ready, "checks": report})
        return prometheus(environ, start_response)

    return app


def _json(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def serve(host: str, port: int, readiness: Readiness | None = None) -> WSGIServer | None:
    """Serve /metrics, /healthz and /readyz on host:port from a daemon thread. Port 0 disables."""
    if not port:
        return None
    try:
        server = make_server(host, port, probes_app(readiness), server_class=_Server, handler_class=_QuietHandler)
    except OSError as exc:  # the daemon matters more than its metrics: say so and go on
        log.error("metrics not served: cannot listen on %s:%d (%s); set metrics.port or metrics.enabled",
                  host, port, exc.strerror or exc)
        return None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics on http://%s:%d/metrics (probes: /healthz, /readyz)", host, port)
    if not _is_loopback(host):
        log.warning("metrics on %s:%d are exposed beyond this machine: anyone who can reach it can read them; "
                    "set metrics.host: 127.0.0.1 unless a firewall or proxy guards the port", host, port)
    return server


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False
