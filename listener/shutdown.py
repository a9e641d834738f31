"""Process-wide shutdown flag. Waits inside the daemon (HTTP backoff, rate limiting) use `sleep` from here,
so SIGTERM interrupts a source that is waiting out a retry instead of holding the shutdown for minutes.
Nothing is lost: an interrupted run stores nothing and its cursor stays where it was.
"""

from __future__ import annotations

import threading

STOPPING = threading.Event()


class ShuttingDown(Exception):
    """Raised out of a wait when the daemon is stopping."""


def sleep(seconds: float) -> None:
    if STOPPING.wait(max(0.0, seconds)):
        raise ShuttingDown("the daemon is stopping")
