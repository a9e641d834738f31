"""Process-wide shutdown: the SIGTERM/SIGINT handlers and the flag every stage checks between units of work.

Waits inside the daemon (HTTP backoff, rate limiting) use `sleep` from here, so SIGTERM interrupts a source that
is waiting out a retry instead of holding the shutdown for minutes. Stages check `STOPPING` between units (a
row, a batch, a thread): the call in flight finishes and is recorded, the rest waits for the next start. During
start-up (`starting()`) a signal stops the process at once with exit code 0, instead of the default −15, except
inside `shielded()` blocks (a schema migration), which finish first. Nothing is lost either way: an interrupted
run stores nothing and its cursor stays where it was.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

STOPPING = threading.Event()
_callbacks: list[Callable[[], None]] = []
_state = {"starting": False, "shielded": 0}


class ShuttingDown(Exception):
    """Raised out of a wait when the daemon is stopping."""


class StartupInterrupted(BaseException):
    """Raised in the main thread by a signal during start-up. A BaseException, like KeyboardInterrupt, so that
    no `except Exception` on the way (a model backend's fallback, a watchlist reload) can swallow it."""


def sleep(seconds: float) -> None:
    if STOPPING.wait(max(0.0, seconds)):
        raise ShuttingDown("the daemon is stopping")


def install() -> None:
    """Route SIGTERM and SIGINT here (main thread only; elsewhere, e.g. in tests, nothing changes)."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _handle)


def on_signal(callback: Callable[[], None]) -> None:
    """Call `callback` on SIGTERM/SIGINT (at once if one already came)."""
    install()
    _callbacks.append(callback)
    if STOPPING.is_set():
        callback()


@contextmanager
def starting() -> Iterator[None]:
    """Start-up: a signal raises `StartupInterrupted` in the main thread, so the process can exit 0 at once."""
    install()
    _state["starting"] = True
    try:
        if STOPPING.is_set():
            raise StartupInterrupted("stopped during start-up")
        yield
    finally:
        _state["starting"] = False


@contextmanager
def shielded() -> Iterator[None]:
    """Work that must not be cut in the middle (a migration): a signal during it takes effect afterwards."""
    _state["shielded"] += 1
    try:
        yield
    finally:
        _state["shielded"] -= 1
    if STOPPING.is_set() and _state["starting"] and not _state["shielded"]:
        raise StartupInterrupted("stopped during start-up")


def _handle(signum: int, frame: object) -> None:
    STOPPING.set()
    for callback in _callbacks:
        callback()
    if _state["starting"] and not _state["shielded"]:
        raise StartupInterrupted("stopped during start-up")
