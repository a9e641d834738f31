"""Helpers for tests that drive the daemon as a real process and read its SQLite file from outside."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Callable


def wait_for(predicate: Callable[[], bool], timeout: float = 120.0) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` on the daemon's SQLite file; empty while the file or its tables do not exist yet."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # tables not migrated yet
        return []
