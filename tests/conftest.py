"""Shared pytest fixtures."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.fixture_server import FixtureServer, serve


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A local HTTP server on 127.0.0.1 answering registered routes (see tests/fixture_server.py)."""
    yield from serve()
