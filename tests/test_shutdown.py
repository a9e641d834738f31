"""SIGTERM stops `fangsiang run` promptly and cleanly: the call in flight finishes and is recorded, the rest
waits for the next start, and the exit code is 0 — also while the daemon is still starting up."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from alerts.types import Alert
from listener.delivery.outbox import enqueue
from listener.store import Store
from tests.process_helpers import query, reaped, stop, wait_for
from tests.slack_server import SlackTestServer

TOKEN_ENV = "SHUTDOWN_TEST_SLACK_TOKEN"
CONFIG = """
storage: {{url: "sqlite:///{db}"}}
slack: {{token_env: {token_env}, base_url: "{slack}"}}
metrics: {{enabled: false}}
alerting: {{ops_channel: "#ops", daily_summary_at: null}}
scheduler: {{score_every: 1s, dispatch_every: 1s, track_every: 1h, housekeeping_every: 1h}}
sources: []
watchlists: []
"""
QUEUED = 30


class SlowSlack(SlackTestServer):
    """Takes its time over every post (0.3 s), as Slack does under load; `first` is set on the first one."""

    def __init__(self) -> None:
        super().__init__()
        self.first = threading.Event()

    def handle(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "chat.postMessage":
            self.first.set()
            threading.Event().wait(0.3)
        return super().handle(method, params, token)


def _daemon(tmp_path: Path, slack: SlackTestServer) -> tuple[subprocess.Popen[str], Path]:
    db = tmp_path / "d.db"
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(db=db, token_env=TOKEN_ENV, slack=slack.api_url), encoding="utf-8")
    env = {**os.environ, TOKEN_ENV: slack.token, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "listener.cli", "--config", str(config), "run"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, db


def _queue_alerts(db: Path) -> None:
    store = Store(f"sqlite:///{db}")
    store.migrate()
    now = datetime.now(timezone.utc)
    with store.session() as session:
        for n in range(QUEUED):
            alert = Alert(incident_id=0, revision=0, kind="health", title=f"notice {n}", url="", excerpt="",
                          lang="en", risk=0.0, reason="", watchlist="", severity="high", channel="#ops")
            enqueue(session, alert, key=f"notice:{n}", now=now)
    store.dispose()


def test_sigterm_while_dispatching_finishes_the_call_in_flight_and_leaves_the_rest_queued(tmp_path: Path) -> None:
    with SlowSlack() as slack:
        _queue_alerts(tmp_path / "d.db")
        daemon, db = _daemon(tmp_path, slack)
        with reaped(daemon):
            assert wait_for(slack.first.is_set, timeout=300), daemon.communicate(timeout=30)[0]
            output = stop(daemon, timeout=120)
        assert daemon.returncode == 0, output
        posted = len(slack.messages("#ops"))
    statuses = dict(query(db, "SELECT status, count(*) FROM outbox GROUP BY status"))
    assert statuses.get("sent") == posted  # the call in flight was recorded, nothing half-done
    assert "sending" not in statuses
    assert statuses.get("pending", 0) == QUEUED - posted >= QUEUED - 5  # the rest waits for the next start


def test_sigterm_during_start_up_exits_0(tmp_path: Path, slack_server: SlackTestServer) -> None:
    daemon, db = _daemon(tmp_path, slack_server)
    with reaped(daemon):
        # the schema is migrated: the daemon is now loading the model, before its scheduler starts
        assert wait_for(lambda: query(db, "SELECT count(*) FROM alembic_version") == [(1,)], timeout=300)
        output = stop(daemon, timeout=120)
    assert daemon.returncode == 0, output
    assert "fangsiang running" not in output, "the signal came too late to test start-up"
