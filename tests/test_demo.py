"""`fangsiang demo` runs the whole pipeline on the packaged pages and shows what it would send."""

from __future__ import annotations

import pytest

from listener.cli import main
from tests.slack_server import SlackTestServer


def test_demo_prints_the_complaint_incident_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "[NEW]" in out and "สายฟ้าเน็ต เน็ตหลุดทุกคืน" in out and "/topic/43600001" in out
    assert "ฝากแชร์" in out  # the escalating comment, posted in the incident's thread
    for quiet in ("/topic/43600002", "/topic/43600003", "/topic/43600004"):
        assert quiet not in out
    assert "source pantip-home-internet: 9 new posts" in out


def test_demo_can_send_to_a_slack_compatible_server(slack_server: SlackTestServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANGSIANG_SLACK_TOKEN", slack_server.token)
    assert main(["demo", "--slack-url", slack_server.api_url]) == 0
    messages = slack_server.messages("#care-saifah-net")
    assert messages and "สายฟ้าเน็ต" in messages[0]["text"]
