"""The one HTTP policy every scraper goes through (the only home of `httpx` and `tenacity`).

Reads the `http:` config keys mapped onto `HttpPolicy`: `user_agent`, `timeout_s`, `deadline_s`, `retries`,
`backoff_base_s`, `backoff_max_s`, `retry_after_max_s`, `rate_per_host`, `respect_robots`, `proxy`,
`max_body_bytes`, `max_redirects`, `redirect_hosts`, `headers`.

    client = HttpClient(HttpPolicy(rate_per_host=0.5))
    page = client.get("https://pantip.com/topic/1", headers={"Referer": "https://pantip.com/"})
    if not page.not_modified:
        soup = parse_html(page.text())

Retries (429, 408, 5xx, timeouts, connection errors) back off exponentially with jitter and honour
`Retry-After`; other 4xx answers raise `FetchError` at once, since asking again will not help.

Hostile servers are expected: every exchange (redirects included) must be over within `deadline_s` and
stops within a fraction of a second once `stopping()` is true (`scrapers.deadline`); bodies, robots.txt
included, are capped on the wire and after decompression as they stream in (`scrapers.body`); redirects
follow `scrapers.redirects` (same site or `redirect_hosts`, at most `max_redirects`, never to metadata,
link-local or, from another host, private addresses; credentials never cross hosts).
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Collection, Mapping
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from scrapers.base import ScrapeError
from scrapers.body import ACCEPT_ENCODING, read_body
from scrapers.deadline import Interrupted, exchange, guard
from scrapers.redirects import REDIRECT_STATUSES, Hop, RedirectPolicy, RedirectRefused, refusal, \
    resolved_refusal, resolves_to_loopback
from scrapers.response import Response
from scrapers.robots import ROBOTS_MAX_BYTES, RobotsCache

__all__ = ["FetchError", "HttpClient", "HttpPolicy", "Interrupted", "RedirectRefused", "Response"]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "fangsiang/0.1 (+https://github.com/fangsiang/fangsiang)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass
class HttpPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    timeout_s: float = 20.0  # for each network operation (connect, one read)
    deadline_s: float = 60.0  # for a whole exchange, redirects and body included
    retries: int = 4  # retries after the first attempt
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    retry_after_max_s: float = 300.0  # a Retry-After longer than this is cut to it
    rate_per_host: float = 1.0  # requests per second per host; 0 disables the limit
    respect_robots: bool = True
    proxy: str | None = None
    max_body_bytes: int = 10 * 1024 * 1024  # on the wire and once decompressed
    max_redirects: int = 5
    redirect_hosts: list[str] = field(default_factory=list)  # other hosts a redirect may lead to
    headers: dict[str, str] = field(default_factory=dict)


class FetchError(ScrapeError):
    """The request failed for good: retries exhausted, or an answer that retrying cannot fix."""

    def __init__(self, message: str, *, url: str, status: int | None = None, body: bytes = b"",
                 transient: bool = False) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.body = body[:2048]  # error bodies help diagnosis (API error codes); keep them short
        self.transient = transient  # retries ran out on something that may pass (network, 5xx, 429)


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
    """Thread-safe HTTP client applying `HttpPolicy`; `sleep`/`clock` are injectable for tests, and
    `stopping` (the daemon's shutdown flag) abandons any exchange in flight."""

    def __init__(self, policy: HttpPolicy | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self.policy = policy or HttpPolicy()
        self._sleep, self._stopping = sleep, stopping
        self._rng = rng or random.Random()
        self._limiter = HostRateLimiter(self.policy.rate_per_host, sleep, clock)
        self._robots = RobotsCache(self._fetch_robots, self.policy.user_agent)
        self._redirects = RedirectPolicy(self.policy.max_redirects, self.policy.redirect_hosts)
        # Through a proxy the peer is the proxy, so target addresses are checked by resolving them instead.
        self._proxied = bool(self.policy.proxy or getproxies())
        self._validators: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        # Redirects are followed by hand (`_exchange`), so each hop is judged before it is made.
        self._client = httpx.Client(
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(self.policy.timeout_s), proxy=self.policy.proxy, follow_redirects=False)
        transports = [self._client._transport, *self._client._mounts.values()]
        guard(getattr(t, "_pool") for t in transports if t is not None and hasattr(t, "_pool"))

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
                             url=url, status=exc.status, body=exc.body, transient=True) from exc
        if response.status >= 400 and response.status not in allow_status:
            raise FetchError(f"{method} {url}: HTTP {response.status}", url=url, status=response.status,
                             body=response.content)
        return response

    def _attempt(self, method: str, url: str, headers: dict[str, str], json: Any,
                 data: Mapping[str, Any] | None) -> Response:
        self._limiter.wait(urlsplit(url).netloc)
        hop = Hop(method, url, {**self.policy.headers, **headers}, json, data, start=url)
        try:
            return self._exchange(hop, cap=self.policy.max_body_bytes)
        except httpx.TimeoutException as exc:
            raise _Retry(f"timeout ({type(exc).__name__}: {exc})") from exc
        except httpx.TransportError as exc:
            raise _Retry(f"connection error: {exc}") from exc

    def _exchange(self, hop: Hop, *, cap: int, truncate: bool = False, retry_statuses: bool = True) -> Response:
        """One request and the redirects it leads to, all within one deadline."""
        if self._stopping():
            raise Interrupted("the process is stopping")
        with exchange(self.policy.deadline_s, self._stopping) as limits:
            while True:
                self._check_before_connect(hop)
                limits.check_peer = None if self._proxied else self._peer_check(hop)
                with self._client.stream(hop.method, hop.url, headers=hop.headers, json=hop.json,
                                         data=hop.data) as answer:
                    location = answer.headers.get("location")
                    if answer.status_code in REDIRECT_STATUSES and location:
                        hop = self._redirects.next_hop(hop, answer.status_code, location)
                        continue
                    return self._finish(answer, hop, cap, truncate, retry_statuses)

    def _finish(self, answer: httpx.Response, hop: Hop, cap: int, truncate: bool,
                retry_statuses: bool) -> Response:
        encoding = answer.headers.get("content-encoding", "")
        if retry_statuses and (answer.status_code in RETRY_STATUSES or answer.status_code >= 500):
            try:  # a little of the error body helps diagnosis; never more than that
                body = read_body(answer.iter_raw(), encoding, cap=2048, url=hop.url, truncate=True)
            except ScrapeError:
                body = b""
            raise _Retry(f"HTTP {answer.status_code}", answer.status_code,
                         parse_retry_after(answer.headers.get("retry-after")), body)
        declared = answer.headers.get("content-length", "")
        if not truncate and declared.isdigit() and int(declared) > cap:
            raise ScrapeError(f"body of {declared} bytes exceeds the {cap}-byte cap", url=hop.url)
        content = read_body(answer.iter_raw(), encoding, cap=cap, url=hop.url, truncate=truncate)
        return Response(answer.status_code, str(answer.url), content,
                        {k.lower(): v for k, v in answer.headers.items()})

    def _peer_check(self, hop: Hop) -> Callable[[str], None]:
        """Judges the address a new connection for `hop` reached (after DNS, so rebinding cannot dodge it)."""
        def check(address: str) -> None:
            cross_site = hop.number > 0 and not hop.same_site
            if why := refusal(address, hop, cross_site and resolves_to_loopback(hop.start)):
                raise RedirectRefused(f"{hop.method} {hop.url} refused: {why}", url=hop.start)
        return check

    def _check_before_connect(self, hop: Hop) -> None:
        """IP literals are judged at once; through a proxy, redirect targets are resolved and judged here."""
        host = (urlsplit(hop.url).hostname or "").strip("[]")
        cross_site = hop.number > 0 and not hop.same_site
        if _is_ip(host):
            why = refusal(host, hop, cross_site and resolves_to_loopback(hop.start))
        elif self._proxied and hop.number > 0:
            why = resolved_refusal(hop.url, hop, cross_site and resolves_to_loopback(hop.start))
        else:
            return
        if why:
            raise RedirectRefused(f"{hop.method} {hop.url} refused: {why}", url=hop.start)

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
        """robots.txt through the same redirect rules, deadline and caps; only its first
        `ROBOTS_MAX_BYTES` are read (as Google does), however large or compressed it is."""
        try:
            self._limiter.wait(urlsplit(robots_url).netloc)
            answer = self._exchange(Hop("GET", robots_url, dict(self.policy.headers), start=robots_url),
                                    cap=min(ROBOTS_MAX_BYTES, self.policy.max_body_bytes), truncate=True,
                                    retry_statuses=False)
        except (httpx.HTTPError, ScrapeError) as exc:
            log.warning("robots.txt %s: %s", robots_url, exc)
            return None
        return answer.status, answer.content


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
