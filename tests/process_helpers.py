"""Helpers for tests that drive the daemon as a real process and read its SQLite file from outside."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator


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


@contextmanager
def reaped(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """Kill `process` if the block leaves it running: a failed assertion must not leave a daemon behind."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()


def stop(process: subprocess.Popen[str], timeout: float) -> str:
    """SIGTERM, then everything the process printed once it has exited."""
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=timeout)[0]
