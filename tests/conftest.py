"""Shared pytest fixtures."""

from __future__ import annotations

import socket
import uuid
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


POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL to a throw-away schema in the PostgreSQL at 127.0.0.1:5432 (skipped when it is not reachable)."""
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        import psycopg  # noqa: F401  (the driver the URL names)
    except (OSError, ImportError):
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
