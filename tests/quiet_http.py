"""The test servers' HTTP server: a client that hangs up mid-answer is normal in these tests (a killed daemon, a
client timeout), so it is noted in one line instead of a printed traceback.

Why not the default traceback: on Python 3.11, printing a traceback parses source with `ast` (for the caret
lines) in the server's thread while pytest may be parsing source for its own report in the main thread; CPython
3.11's AST state is shared between threads (python/cpython#106905), and the race ends the whole run with
"SystemError: AST constructor recursion depth mismatch".
"""

from __future__ import annotations

import logging
import sys
from http.server import ThreadingHTTPServer
from typing import Any

log = logging.getLogger("tests.http")


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        log.debug("test server: request from %s ended early: %r", client_address, error)
