"""The one HTTP policy every scraper goes through (the only home of `httpx` and `tenacity`).

Reads the `http:` config keys mapped onto `HttpPolicy`: `user_agent`, `timeout_s`, `retries`,
`backoff_base_s`, `backoff_max_s`, `retry_after_max_s`, `rate_per_host`, `respect_robots`, `proxy`,
`max_body_bytes`, `headers`.

    client = HttpClient(HttpPolicy(rate_per_host=0.5))
    page = client.get("https://pantip.com/topic/1", headers={"Referer": "https://pantip.com/"})
    if not page.not_modified:
        soup = parse_html(page.text())

Retries (429, 408, 5xx, timeouts, connection errors) back off exponentially with jitter and honour
`Retry-After`; other 4xx answers raise `FetchError` at once, since asking again will not help.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Collection, Mapping
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from scrapers.base import ScrapeError
from scrapers.response import Response
from scrapers.robots import RobotsCache

__all__ = ["FetchError", "HttpClient", "HttpPolicy", "Response"]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "fangsiang/0.1 (+https://github.com/fangsiang/fangsiang)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass
class HttpPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    timeout_s: float = 20.0
    retries: int = 4  # retries after the first attempt
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    retry_after_max_s: float = 300.0  # a Retry-After longer than this is cut to it
    rate_per_host: float = 1.0  # requests per second per host; 0 disables the limit
    respect_robots: bool = True
    proxy: str | None = None
    max_body_bytes: int = 10 * 1024 * 1024
    headers: dict[str, str] = field(default_factory=dict)


class FetchError(ScrapeError):
    """The request failed for good: retries exhausted, or an answer that retrying cannot fix."""

    def __init__(self, message: str, *, url: str, status: int | None = None, body: bytes = b"") -> None:
        super().__init__(message, url=url)
        self.status = status
        self.body = body[:2048]  # error bodies help diagnosis (API error codes); keep them short


class _Retry(Exception):
    """One attempt failed in a way that may succeed later."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None,
                 body: bytes = b"") -> None:
        super().__init__(reason)
        self.status, self.retry_after, self.body = status, retry_after, body


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HostRateLimiter:
    """Spaces requests to one host at least `1 / rate` seconds apart, across threads."""

    def __init__(self, rate_per_host: float, sleep: Callable[[float], None],
                 clock: Callable[[], float]) -> None:
        self._interval = 1.0 / rate_per_host if rate_per_host > 0 else 0.0
        self._sleep, self._clock = sleep, clock
        self._next: dict[str, float] = {}
        self._min_interval: dict[str, float] = {}
        self._lock = threading.Lock()

    def slow_down(self, host: str, interval_s: float) -> None:
        """Honour a host's own crawl-delay when it is longer than ours."""
        with self._lock:
            self._min_interval[host] = interval_s

    def wait(self, host: str) -> None:
        with self._lock:
            interval = max(self._interval, self._min_interval.get(host, 0.0))
            if interval <= 0:
                return
            now = self._clock()
            # Reserve the next slot under the lock, sleep outside it, so threads queue fairly.
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + interval
        if slot > now:
            self._sleep(slot - now)


class HttpClient:
    """Thread-safe HTTP client applying `HttpPolicy`; `sleep`/`clock` are injectable for tests."""

    def __init__(self, policy: HttpPolicy | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None) -> None:
        self.policy = policy or HttpPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._limiter = HostRateLimiter(self.policy.rate_per_host, sleep, clock)
        self._robots = RobotsCache(self._fetch_robots, self.policy.user_agent)
        self._validators: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._client = httpx.Client(
            headers={"User-Agent": self.policy.user_agent, **self.policy.headers},
            timeout=httpx.Timeout(self.policy.timeout_s), proxy=self.policy.proxy, follow_redirects=True)

    def get(self, url: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
            conditional: bool = True, allow_status: Collection[int] = ()) -> Response:
        """GET with retries; with `conditional`, a 304 gives `Response.not_modified`.

        Statuses in `allow_status` (e.g. 404 for a deleted item) are returned instead of raised."""
        full = str(httpx.URL(url, params=params)) if params else url
        sent = dict(headers or {})
        if conditional:
            sent.update(self._conditional_headers(full))
        response = self._request("GET", full, sent, allow_status=allow_status)
        if conditional and response.status == 304:
            return Response(304, response.url, b"", response.headers, not_modified=True)
        if conditional and 200 <= response.status < 300:
            self._remember_validators(full, response)
        return response

    def post(self, url: str, *, json: Any = None, data: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, allow_status: Collection[int] = ()) -> Response:
        return self._request("POST", url, dict(headers or {}), json=json, data=data, allow_status=allow_status)

    def export_validators(self) -> dict[str, dict[str, str]]:
        """ETag/Last-Modified per URL, JSON-serialisable, so the listener can persist them."""
        with self._lock:
            return {url: dict(v) for url, v in self._validators.items()}

    def import_validators(self, validators: Mapping[str, Mapping[str, str]]) -> None:
        with self._lock:
            self._validators.update({url: dict(v) for url, v in validators.items()})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _conditional_headers(self, url: str) -> dict[str, str]:
        with self._lock:
            known = self._validators.get(url, {})
        sent = {}
        if "etag" in known:
            sent["If-None-Match"] = known["etag"]
        if "last_modified" in known:
            sent["If-Modified-Since"] = known["last_modified"]
        return sent

    def _remember_validators(self, url: str, response: Response) -> None:
        found = {k: v for k, v in (("etag", response.header("etag")),
                                   ("last_modified", response.header("last-modified"))) if v}
        with self._lock:
            if found:
                self._validators[url] = found
            else:
                self._validators.pop(url, None)

    def _request(self, method: str, url: str, headers: dict[str, str], *, json: Any = None,
                 data: Mapping[str, Any] | None = None, allow_status: Collection[int] = ()) -> Response:
        if self.policy.respect_robots and not self._robots.allowed(url):
            raise ScrapeError("disallowed by robots.txt", url=url)
        if self.policy.respect_robots and (delay := self._robots.crawl_delay(url)):
            self._limiter.slow_down(urlsplit(url).netloc, delay)
        retrying = Retrying(stop=stop_after_attempt(self.policy.retries + 1), wait=self._backoff,
                            retry=retry_if_exception_type(_Retry), sleep=self._sleep, reraise=True,
                            before_sleep=lambda rs: self._log_retry(method, url, rs))
        try:
            response = retrying(self._attempt, method, url, headers, json, data)
        except _Retry as exc:
            raise FetchError(f"{method} {url} failed after {self.policy.retries + 1} attempts: {exc}",
                             url=url, status=exc.status, body=exc.body) from exc
        if response.status >= 400 and response.status not in allow_status:
            raise FetchError(f"{method} {url}: HTTP {response.status}", url=url, status=response.status,
                             body=response.content)
        return response

    def _attempt(self, method: str, url: str, headers: dict[str, str], json: Any,
                 data: Mapping[str, Any] | None) -> Response:
        self._limiter.wait(urlsplit(url).netloc)
        try:
            with self._client.stream(method, url, headers=headers, json=json, data=data) as answer:
                if answer.status_code in RETRY_STATUSES or answer.status_code >= 500:
                    raise _Retry(f"HTTP {answer.status_code}", answer.status_code,
                                 parse_retry_after(answer.headers.get("retry-after")), answer.read()[:2048])
                content = self._read_capped(answer, url)
                return Response(answer.status_code, str(answer.url), content,
                                {k.lower(): v for k, v in answer.headers.items()})
        except httpx.TimeoutException as exc:
            raise _Retry(f"timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Retry(f"connection error: {exc}") from exc

    def _read_capped(self, answer: httpx.Response, url: str) -> bytes:
        cap = self.policy.max_body_bytes
        declared = answer.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise ScrapeError(f"body of {declared} bytes exceeds the {cap}-byte cap", url=url)
        chunks, size = [], 0
        for chunk in answer.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise ScrapeError(f"body exceeds the {cap}-byte cap", url=url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _backoff(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return min(exc.retry_after, self.policy.retry_after_max_s)
        ceiling = min(self.policy.backoff_max_s, self.policy.backoff_base_s * 2 ** (state.attempt_number - 1))
        # Jitter keeps many sources that failed together from retrying in lock-step.
        return ceiling * (0.5 + self._rng.random() / 2)

    def _log_retry(self, method: str, url: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s %s: %s; retry %d in %.1fs", method, url, exc, state.attempt_number, wait)

    def _fetch_robots(self, robots_url: str) -> tuple[int, bytes] | None:
        try:
            self._limiter.wait(urlsplit(robots_url).netloc)
            answer = self._client.get(robots_url)
        except httpx.HTTPError as exc:
            log.warning("robots.txt %s: %s", robots_url, exc)
            return None
        return answer.status_code, answer.content[: self.policy.max_body_bytes]
