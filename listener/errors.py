"""Errors the listener reports to the user."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration or watchlist file is invalid. The message names the file, line and key."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None, key: str = "") -> None:
        self.file, self.line, self.key, self.detail = file, line, key, message
        where = file + (f":{line}" if line else "")
        prefix = f"{where}: " if where else ""
        keypart = f"{key}: " if key else ""
        super().__init__(f"{prefix}{keypart}{message}")
