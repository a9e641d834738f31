"""Shared pytest fixtures."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.fixture_server import FixtureServer, serve
from tests.slack_server import SlackTestServer
from tests.slack_server import serve as serve_slack


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A local HTTP server on 127.0.0.1 answering registered routes (see tests/fixture_server.py)."""
    yield from serve()


@pytest.fixture
def slack_server() -> Iterator[SlackTestServer]:
    """A local Slack-compatible Web API server on 127.0.0.1 (see tests/slack_server.py); token "xoxb-test-token"."""
    yield from serve_slack()
