"""`fangsiang check --slack` asks the Slack API (here the local test server) about the token, every channel and
every mention, posts nothing, and exits 2 when any of them would fail at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.cli import main
from tests.slack_server import SlackTestServer

CONFIG = """
slack: {{base_url: "{api}", interactive: true}}
alerting: {{default_channel: "#care", ops_channel: "#ops"}}
watchlists:
  - name: network
    terms: [TrueMove]
    route: {{channel: "{channel}", mentions: [U024BE7LH, {group}]}}
"""


@pytest.fixture
def server():
    with SlackTestServer(channels={"C0CARE": "care", "C0OPS": "ops", "C0NET": "care-network"},
                         users={"U024BE7LH"}, usergroups={"S012TRUECARE"}) as running:
        yield running


def _check(tmp_path: Path, server: SlackTestServer, capsys, channel: str = "#care-network",
           group: str = "S012TRUECARE") -> tuple[int, str]:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(api=server.api_url, channel=channel, group=group), encoding="utf-8")
    code = main(["--config", str(config), "check", "--slack"])
    return code, capsys.readouterr().out


def test_a_working_setup_passes(tmp_path: Path, server: SlackTestServer, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FANGSIANG_SLACK_TOKEN", server.token)
    monkeypatch.setenv("FANGSIANG_SLACK_APP_TOKEN", server.app_token)
    code, out = _check(tmp_path, server, capsys)
    assert code == 0, out
    assert "slack ok   token" in out and "slack ok   channel #care-network: C0NET" in out
    assert "slack ok   mention U024BE7LH" in out and "slack ok   mention S012TRUECARE" in out
    assert "slack ok   app token" in out
    assert server.calls("chat.postMessage") == []  # checking posts nothing


def test_each_broken_part_is_named(tmp_path: Path, server: SlackTestServer, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FANGSIANG_SLACK_TOKEN", server.token)
    monkeypatch.setenv("FANGSIANG_SLACK_APP_TOKEN", "xapp-revoked")
    code, out = _check(tmp_path, server, capsys, channel="#care-netwrk", group="S0GONE")
    assert code == 2
    assert "slack FAIL channel #care-netwrk: channel_not_found" in out
    assert "slack FAIL mention S0GONE: no such user group" in out
    assert "slack FAIL app token (buttons): invalid_auth" in out
    assert "slack ok   channel #care:" in out


def test_a_refused_token_stops_the_questions(tmp_path: Path, server: SlackTestServer, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FANGSIANG_SLACK_TOKEN", "xoxb-revoked")
    code, out = _check(tmp_path, server, capsys)
    assert code == 2 and "slack FAIL token: invalid_auth" in out and "channel" not in out.split("slack FAIL")[1]
