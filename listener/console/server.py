"""Serve the console with uvicorn: in a thread of the daemon (stopped cleanly with it), or in the foreground
for `fangsiang console`. The one home of uvicorn.

Reads config keys `console.host` and `console.port` (through the caller).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import uvicorn

log = logging.getLogger(__name__)
START_TIMEOUT_S = 10.0


class ConsoleServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        self.host, self.port = host, port
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> bool:
        """Serve in a background thread; False (and an error logged) when it cannot listen."""
        self._thread = threading.Thread(target=self._server.run, name="console", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self._server.started and self._thread.is_alive() and waited < START_TIMEOUT_S:
            self._thread.join(0.05)
            waited += 0.05
        if not self._server.started:  # uvicorn has logged why (e.g. the port is taken)
            log.error("console not served: cannot listen on %s:%d; set console.port or console.enabled",
                      self.host, self.port)
            self.stop()
            return False
        if self.port == 0:  # an ephemeral port (tests): learn which one
            self.port = self._server.servers[0].sockets[0].getsockname()[1]
        log.info("console on %s", self.url)
        return True

    def run(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM."""
        log.warning("console on %s (read-only); Ctrl-C stops it", self.url)
        # uvicorn catches SIGINT/SIGTERM while it serves, then re-raises the signal to the handler found before
        # it; that handler ends quietly here, so a stop is an exit 0 rather than a death by signal.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: None)
        self._server.run()

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
