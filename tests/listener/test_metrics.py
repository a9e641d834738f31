"""Prometheus metrics are served over HTTP and count what the pipeline did."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

from listener import metrics
from listener.app import build
from listener.config import parse_config_text
from listener.pipeline import Pipeline
from tests.fixture_server import FixtureServer
from tests.test_end_to_end import _serve_site

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
http: {{rate_per_host: 0, retries: 0}}
sources:
  - {{name: metrics-pantip, kind: pantip, options: {{base_url: "{site}", rooms: [mbk], backfill_hours: 1000000, comments: false}}}}
watchlists:
  - {{name: saifah-net, terms: {{th: ["สายฟ้าเน็ต"]}}}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_metrics_endpoint_counts_ingested_and_matched_posts(tmp_path: Path, fixture_server: FixtureServer) -> None:
    _serve_site(fixture_server)
    loaded = parse_config_text(CONFIG.format(db=tmp_path / "m.db", site=fixture_server.base_url), base_dir=tmp_path)
    Pipeline(build(loaded)).run_once()
    port = _free_port()
    metrics.serve("127.0.0.1", port)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    assert 'fangsiang_posts_ingested_total{source="metrics-pantip"} 4.0' in body
    assert 'fangsiang_posts_matched_total{watchlist="saifah-net"}' in body
    assert "fangsiang_score_batch_seconds_count" in body
    assert "fangsiang_alerts_sent_total" in body and "fangsiang_outbox_waiting" in body


def test_a_busy_metrics_port_is_reported_not_fatal(caplog) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        metrics.serve("127.0.0.1", taken.getsockname()[1])
    assert "metrics not served" in caplog.text


def test_an_address_beyond_this_machine_is_said_in_the_log(caplog) -> None:
    import logging

    with caplog.at_level(logging.WARNING, logger="listener.metrics"):
        metrics.serve("0.0.0.0", _free_port())
    assert "exposed beyond this machine" in caplog.text and "0.0.0.0" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="listener.metrics"):
        metrics.serve("127.0.0.1", _free_port())
        metrics.serve("::1", _free_port())
    assert "exposed" not in caplog.text


def test_readyz_says_what_is_not_ready_until_database_and_scheduler_are(tmp_path: Path) -> None:
    import json
    import urllib.error

    from listener.store import Store

    def readyz(port: int) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())

    readiness = metrics.Readiness(expected=("database", "scheduler"))
    port = _free_port()
    server = metrics.serve("127.0.0.1", port, readiness)
    assert server is not None
    try:
        assert readyz(port) == (503, {"ready": False, "checks": {"database": "starting", "scheduler": "starting"}})
        readiness.add("database", Store(f"sqlite:///{tmp_path}").ping)  # a folder: cannot be opened as a database
        running = {"now": True}
        readiness.add("scheduler", lambda: running["now"])
        status, body = readyz(port)
        assert status == 503 and "OperationalError" in body["checks"]["database"] and body["checks"]["scheduler"] == "ok"
        readiness.add("database", Store(f"sqlite:///{tmp_path}/ok.db").ping)
        assert readyz(port) == (200, {"ready": True, "checks": {"database": "ok", "scheduler": "ok"}})
        running["now"] = False  # the scheduler stopped (shutting down)
        assert readyz(port)[1]["checks"]["scheduler"] == "not running"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            assert answer.status == 200
    finally:
        server.shutdown()
