"""Logging set-up for every command: plain text lines, or one JSON object per line for log collectors
(`--log-format json`). The one home of python-json-logger.

Reads config key `log_level` (through the caller; `--log-level` wins).
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# JSON fields: time (ISO-8601 UTC), level, logger, message, anything passed with `extra=`, and exc_info
JSON_FIELDS = ["levelname", "name", "message"]
JSON_RENAME = {"levelname": "level", "name": "logger"}
# one line per HTTP request or scheduler tick is noise at INFO
CHATTY = ("alembic", "httpx", "httpcore", "apscheduler")


def setup_logging(level: str, fmt: str = "text") -> None:
    """Send every log record to stderr at `level`, as text or JSON lines; replaces earlier handlers."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields=JSON_RENAME, json_ensure_ascii=False,
                                           timestamp="time"))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level))
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(logging.WARNING)
