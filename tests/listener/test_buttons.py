"""Slack buttons at the daemon: a refused app token leaves the daemon running without buttons (and says so);
a click counts only for the incident whose message carries it, and a second identical click changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest

from alerts.interactive import ActionRequest
from alerts.slack import SlackNotifier
from listener.app import build, start_buttons
from listener.config import parse_config_text
from listener.pipeline import Pipeline
from listener.store.models import Incident
from tests.slack_server import SlackTestServer

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)


class _NoModel:
    def __getattr__(self, name: str) -> object:
        raise AssertionError("buttons never score")


@pytest.fixture
def pipeline(tmp_path: Path, slack_server: SlackTestServer) -> Pipeline:
    loaded = parse_config_text(f"storage: {{url: 'sqlite:///{tmp_path}/b.db'}}\nslack: {{interactive: true}}\n"
                               "watchlists: []\nalerting: {ops_channel: '#ops', daily_summary_at: null}\n",
                               base_dir=tmp_path)
    notifier = SlackNotifier(slack_server.token, base_url=slack_server.api_url, timeout=5, interactive=True)
    return Pipeline(build(loaded, notifier=notifier, backend=_NoModel(), clock=lambda: NOW))


def test_a_refused_app_token_is_reported_and_the_daemon_runs_on(pipeline: Pipeline, slack_server: SlackTestServer,
                                                                monkeypatch, caplog) -> None:
    pytest.importorskip("slack_bolt")
    monkeypatch.setenv("FANGSIANG_SLACK_APP_TOKEN", "xapp-revoked")
    with caplog.at_level(logging.ERROR):
        buttons = start_buttons(pipeline.parts.loaded, pipeline.parts.notifier, pipeline.on_button,
                                report=pipeline.notify_ops)
    assert buttons is None
    assert "without buttons" in caplog.text and "xapp-revoked" not in caplog.text
    pipeline.dispatch()
    [notice] = slack_server.messages("#ops")
    assert "buttons" in notice["text"].lower()


def _incident(pipeline: Pipeline) -> int:
    with pipeline.parts.store.session() as session:
        incident = Incident(source="s", thread_id="1", watchlist="w", title="t", url="https://pantip.com/topic/1",
                            opened_at=NOW, updated_at=NOW, last_activity_at=NOW, channel="C0CARE",
                            message_ts="1700000000.000100", announced_at=None)
        session.add(incident)
        session.flush()
        return incident.id


def _state(pipeline: Pipeline, ident: int) -> tuple:
    with pipeline.parts.store.session() as session:
        incident = session.get(Incident, ident)
        return incident.acked_by, incident.revision, incident.not_relevant


def test_a_click_from_another_message_changes_nothing(pipeline: Pipeline) -> None:
    ident = _incident(pipeline)
    other = _incident_elsewhere = ActionRequest(ident, "ack", "U0AGENT", "C0CARE", "1700000000.999999")
    assert pipeline.on_button(other) == "refused"
    assert pipeline.on_button(ActionRequest(ident, "ack", "U0AGENT", "C0OTHER", "1700000000.000100")) == "refused"
    assert _state(pipeline, ident) == (None, 0, False)
    assert pipeline.on_button(ActionRequest(ident + 1, "ack", "U0AGENT", "C0CARE", "1700000000.000100")) == "refused"


def test_the_same_click_twice_is_recorded_once(pipeline: Pipeline) -> None:
    ident = _incident(pipeline)
    click = ActionRequest(ident, "ack", "U0AGENT", "C0CARE", "1700000000.000100")
    assert pipeline.on_button(click) == "done"
    after_first = _state(pipeline, ident)
    assert after_first[:2] == ("U0AGENT", 1)
    assert pipeline.on_button(click) == "already"
    assert pipeline.on_button(ActionRequest(ident, "ack", "U0OTHER", "C0CARE", "1700000000.000100")) == "already"
    assert _state(pipeline, ident) == after_first
    not_relevant = ActionRequest(ident, "not_relevant", "U0AGENT", "C0CARE", "1700000000.000100")
    assert [pipeline.on_button(not_relevant) for _ in range(2)] == ["done", "already"]
    assert _state(pipeline, ident)[1:] == (2, True)
