"""A refused token or channel is loud: logged with Slack's reason and the fix, counted in metrics, told to the
ops channel when that still works, and re-sent with `fangsiang outbox resend` once fixed. Real slack_sdk
client against the local Slack-compatible server."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerts.slack import SlackNotifier
from listener import metrics
from listener.app import Components
from listener.cli import main
from listener.config import parse_config_text
from listener.delivery.dispatcher import Dispatcher
from listener.pipeline import Pipeline
from listener.store import Store
from tests.listener.test_incidents_world import World
from tests.slack_server import SlackTestServer


def _pipeline(world: World, notifier: SlackNotifier, tmp_path: Path) -> Pipeline:
    loaded = parse_config_text(f'storage: {{url: "sqlite:///{tmp_path}/t.db"}}', base_dir=tmp_path)
    parts = Components(loaded=loaded, store=world.store, scrapers={}, backend=None, watchlists=None,
                       notifier=notifier, clock=world.clock)
    pipeline = Pipeline(parts)
    pipeline.dispatcher = Dispatcher(notifier, world.alerting, world.clock)
    return pipeline


def _dead_count(reason: str) -> float:
    return metrics.REGISTRY.get_sample_value("fangsiang_delivery_failures_total",
                                             {"reason": reason, "outcome": "dead"}) or 0.0


def test_a_wrong_token_is_logged_counted_and_resent_after_the_fix(
        tmp_path: Path, slack_server: SlackTestServer, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    Store(f"sqlite:///{tmp_path}/t.db").migrate()  # as the daemon leaves it, so the CLI finds its schema
    world = World(tmp_path)
    world.snapshot(comments=1)
    world.post(0.7, start=True, text="เน็ตล่มทั้งวัน")
    before = _dead_count("invalid_auth")
    wrong = _pipeline(world, SlackNotifier("xoxb-wrong", base_url=slack_server.api_url, timeout=5), tmp_path)
    with caplog.at_level(logging.WARNING):
        wrong.dispatch()
    refusal = [r for r in caplog.records if r.levelno == logging.ERROR and "invalid_auth" in r.getMessage()]
    assert refusal and "FANGSIANG_SLACK_TOKEN" in refusal[0].getMessage()
    assert "fangsiang outbox resend" in refusal[0].getMessage()
    assert _dead_count("invalid_auth") == before + 1
    assert slack_server.messages("#care") == []

    config = tmp_path / "config.yaml"
    config.write_text(f'storage: {{url: "sqlite:///{tmp_path}/t.db"}}\n', encoding="utf-8")
    assert main(["--config", str(config), "outbox", "list", "--status", "dead"]) == 0
    listing = capsys.readouterr().out
    assert "dead" in listing and "invalid_auth" in listing and "#care" in listing
    assert main(["--config", str(config), "outbox", "resend", "--all-dead"]) == 0
    assert "re-queued 1 dead alert" in capsys.readouterr().out

    world.clock.now = datetime.now(timezone.utc) + timedelta(minutes=1)  # the CLI re-queued it "now", in real time
    fixed = _pipeline(world, SlackNotifier(slack_server.token, base_url=slack_server.api_url, timeout=5), tmp_path)
    fixed.dispatch()
    assert ["เน็ตล่มทั้งวัน" in m["text"] for m in slack_server.messages("#care")] == [True]


def test_a_refused_channel_is_told_to_the_ops_channel(tmp_path: Path, slack_server: SlackTestServer) -> None:
    world = World(tmp_path, notifier=SlackNotifier(slack_server.token, base_url=slack_server.api_url, timeout=5))
    world.snapshot(comments=1)
    world.post(0.7, start=True)
    slack_server.fail_with("channel_not_found")
    world.dispatch()
    world.dispatch()
    notices = slack_server.messages("#social-listening-ops")
    assert len(notices) == 1 and "channel_not_found" in str(notices[0]["blocks"])
    assert "#care" in str(notices[0]["blocks"])


def test_resend_by_id_reports_ids_that_were_not_dead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f'storage: {{url: "sqlite:///{tmp_path}/empty.db"}}\n', encoding="utf-8")
    assert main(["--config", str(config), "outbox", "resend", "--id", "7"]) == 0
    assert "re-queued 0 dead alert(s)" in capsys.readouterr().out
    assert main(["--config", str(config), "outbox", "list"]) == 0
    assert "no alerts" in capsys.readouterr().out
