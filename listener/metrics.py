"""Prometheus metrics and the local HTTP endpoint that serves them. The one home of prometheus_client.

Reads config keys `metrics.enabled`, `metrics.host`, `metrics.port`.
"""

from __future__ import annotations

import ipaddress
import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
POSTS_INGESTED = Counter("fangsiang_posts_ingested_total", "New posts stored", ["source"], registry=REGISTRY)
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


def serve(host: str, port: int) -> None:
    """Expose /metrics on host:port (a daemon thread). Port 0 disables."""
    if not port:
        return
    try:
        start_http_server(port, addr=host, registry=REGISTRY)
    except OSError as exc:  # the daemon matters more than its metrics: say so and go on
        log.error("metrics not served: cannot listen on %s:%d (%s); set metrics.port or metrics.enabled",
                  host, port, exc.strerror or exc)
        return
    log.info("metrics on http://%s:%d/metrics", host, port)
    if not _is_loopback(host):
        log.warning("metrics on %s:%d are exposed beyond this machine: anyone who can reach it can read them; "
                    "set metrics.host: 127.0.0.1 unless a firewall or proxy guards the port", host, port)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False
