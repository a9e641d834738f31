"""robots.txt rules per host, fetched once and cached (the only home of `protego`).

Reads the `respect_robots` and `user_agent` keys of `HttpPolicy` (through `HttpClient`). A host whose
robots.txt answers 4xx has no rules (everything allowed, cached). A 5xx or an unreachable host is not
cached: the request goes ahead and robots.txt is asked again next time, so one flaky answer neither
blinds a source for the life of the process nor silently skips the rules forever. Only the first
`ROBOTS_MAX_BYTES` of a robots.txt are read (after decompression), as Google does: a huge or
compressed-bomb robots.txt costs that much and no more.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable
from urllib.parse import urlsplit

from protego import Protego

log = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 500 * 1024

# Fetches `<origin>/robots.txt`: returns (status, body) or None when the host could not be reached.
RobotsFetch = Callable[[str], "tuple[int, bytes] | None"]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class RobotsCache:
    """Answers `allowed(url)` from each host's robots.txt, fetching it on first use."""

    def __init__(self, fetch: RobotsFetch, user_agent: str) -> None:
        self._fetch = fetch
        # Robots groups are matched on the product token ("fangsiang"), not the whole UA string.
        self._agent = user_agent.split("/", 1)[0].strip() or user_agent
        self._rules: dict[str, Protego | None] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        rules = self._rules_for(origin_of(url))
        return True if rules is None else bool(rules.can_fetch(url, self._agent))

    def crawl_delay(self, url: str) -> float | None:
        """The host's `Crawl-delay` for our agent, if it states one (already fetched hosts only)."""
        rules = self._rules.get(origin_of(url))
        delay = rules.crawl_delay(self._agent) if rules is not None else None
        return float(delay) if delay is not None else None

    def _rules_for(self, origin: str) -> Protego | None:
        # One lock for all hosts: robots.txt is fetched once per host per process, so the
        # contention is negligible and two threads never fetch the same file twice.
        with self._lock:
            if origin in self._rules:
                return self._rules[origin]
            answer = self._fetch(origin + "/robots.txt")
            if answer is None or answer[0] >= 500:
                log.warning("robots.txt of %s unavailable (%s); allowing this request", origin,
                            "unreachable" if answer is None else f"HTTP {answer[0]}")
                return None
            status, body = answer
            rules = Protego.parse(body.decode("utf-8", "replace")) if 200 <= status < 300 else None
            self._rules[origin] = rules
            return rules
