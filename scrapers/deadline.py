"""A deadline for each whole HTTP exchange, a stop flag that ends it at once, and a check of the address
each new connection reaches. The one home of `httpcore` (the transport under httpx).

httpx's timeouts bound each network operation, so a server that sends one byte every 3 s never trips
them and keeps a request open for ever. Here every socket read waits in slices of `SLICE_S`: between
slices it checks the exchange's deadline and the stop flag (SIGTERM), so neither a dripping server nor a
silent one holds the process. The limits live in a per-thread scope that `HttpClient` opens around each
exchange (`with exchange(...)`), because pooled connections outlive any one request. Reads no config keys.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import httpcore

SLICE_S = 0.25  # how long one socket wait may last before the deadline and the stop flag are looked at


class Interrupted(Exception):
    """The process is stopping: the exchange was abandoned mid-way (nothing of it is kept)."""


@dataclass
class _Limits:
    ends_at: float  # time.monotonic() by which the exchange must be over
    deadline_s: float
    stopping: Callable[[], bool]
    check_peer: Callable[[str], None] | None  # raises when a new connection reached a refused address


_scope = threading.local()


@contextmanager
def exchange(deadline_s: float, stopping: Callable[[], bool],
             check_peer: Callable[[str], None] | None = None) -> Iterator[_Limits]:
    """Limits for every socket operation this thread makes until the block ends."""
    limits = _Limits(time.monotonic() + deadline_s, deadline_s, stopping, check_peer)
    outer, _scope.limits = getattr(_scope, "limits", None), limits
    try:
        yield limits
    finally:
        _scope.limits = outer


def _limits() -> _Limits | None:
    return getattr(_scope, "limits", None)


def _bounded(timeout: float | None) -> float | None:
    """A timeout no later than the exchange's deadline."""
    limits = _limits()
    if limits is None:
        return timeout
    left = limits.ends_at - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout(f"no complete answer within the {limits.deadline_s:g} s deadline")
    return left if timeout is None else min(timeout, left)


class GuardedStream(httpcore.NetworkStream):
    """A connection whose reads honour the deadline and the stop flag of the exchange using it."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limits = _limits()
        if limits is None:
            return self._inner.read(max_bytes, timeout)
        gives_up_at = time.monotonic() + timeout if timeout is not None else float("inf")
        while True:
            if limits.stopping():
                raise Interrupted("the process is stopping")
            now = time.monotonic()
            if now >= limits.ends_at:
                raise httpcore.ReadTimeout(f"no complete answer within the {limits.deadline_s:g} s deadline")
            if now >= gives_up_at:
                raise httpcore.ReadTimeout(f"nothing received for {timeout:g} s")
            try:
                return self._inner.read(max_bytes, min(SLICE_S, limits.ends_at - now, gives_up_at - now))
            except httpcore.ReadTimeout:
                continue  # one slice passed in silence; look at the clock and the flag again

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return GuardedStream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Opens `GuardedStream`s, and refuses a connection whose peer address the exchange does not allow."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _bounded(timeout), local_address, socket_options)
        limits = _limits()
        if limits is not None and limits.check_peer is not None:
            peer = stream.get_extra_info("server_addr")
            try:
                limits.check_peer(str(peer[0]) if peer else "")
            except BaseException:
                stream.close()
                raise
        return GuardedStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return GuardedStream(self._inner.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def guard(pools: Iterable[object]) -> None:
    """Put `GuardedBackend` under httpx's connection pools.

    httpx builds its httpcore pools itself and offers no way to pass a network backend, so the pool's
    `_network_backend` is swapped after construction. The slow-server tests fail if this stops working."""
    for pool in pools:
        if not hasattr(pool, "_network_backend"):
            raise RuntimeError(f"unexpected httpx transport pool {type(pool).__name__}: cannot bound deadlines")
        if not isinstance(pool._network_backend, GuardedBackend):  # type: ignore[attr-defined]
            pool._network_backend = GuardedBackend(pool._network_backend)  # type: ignore[attr-defined]
