"""Which redirects `HttpClient` follows, what it sends along, and which addresses it never connects to.

Reads the `http:` keys `max_redirects` and `redirect_hosts` (through `HttpPolicy`).

- A redirect on the same site (same host and port, or http → https on the default ports) is followed
  with the request's own headers; https → http is refused.
- A redirect to another host is followed only when the host is in `redirect_hosts` (`example.com`,
  `*.example.com` for its subdomains, `*` for any host), and then without the request's headers (API keys, tokens,
  cookies) or body: credentials never cross hosts.
- At most `max_redirects` hops.
- No connection, first hop or redirect, goes to a link-local or cloud-metadata address
  (169.254.169.254 and friends) or an unusable one (0.0.0.0, multicast). A redirect to another host
  must reach a public address; loopback only when the request itself started on loopback (a local
  server, as in tests), private addresses never.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field, replace
from typing import Any, Collection
from urllib.parse import urljoin, urlsplit

from scrapers.base import ScrapeError

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"))
METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data"})
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RedirectRefused(ScrapeError):
    """A redirect (or a connection) that the policy does not allow."""


@dataclass(frozen=True)
class Hop:
    """One request of a redirect chain: where it goes, with what, and how it relates to the first."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: Any = None
    start: str = ""  # the URL the chain started from
    number: int = 0  # 0 for the request itself, then 1, 2, ... per redirect
    same_site: bool = True  # every hop so far stayed on the first hop's site

    @property
    def has_body(self) -> bool:
        return self.json is not None or self.data is not None


def classify(address: IpAddress) -> str:
    """`metadata`, `link-local`, `unusable`, `loopback`, `private` or `public`."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_link_local:
        return "link-local"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "unusable"
    if address.is_loopback:
        return "loopback"
    return "public" if address.is_global else "private"


def refusal(address: str, hop: Hop, start_is_loopback: bool) -> str | None:
    """Why `hop` may not connect to `address`, or None when it may."""
    try:
        kind = classify(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return None  # not an IP address (a Unix socket, a proxy by name): nothing to judge
    if kind in ("metadata", "link-local", "unusable"):
        return f"{address} is a {kind} address"
    if hop.number == 0 or hop.same_site or kind == "public":
        return None
    if kind == "loopback" and start_is_loopback:
        return None
    return f"a redirect to another host may not reach the {kind} address {address}"


def same_site(a: str, b: str) -> bool:
    """Same host and port, or the http → https upgrade of the same host on the default ports."""
    x, y = urlsplit(a), urlsplit(b)
    if (x.hostname or "").lower() != (y.hostname or "").lower():
        return False
    if (x.scheme, x.port) == (y.scheme, y.port):
        return True
    return x.scheme == "http" and y.scheme == "https" and x.port in (None, 80) and y.port in (None, 443)


class RedirectPolicy:
    def __init__(self, max_redirects: int, allowed_hosts: Collection[str]) -> None:
        self.max_redirects = max_redirects
        self._hosts = frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip())

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return ("*" in self._hosts or host in self._hosts
                or any(h.startswith("*.") and host.endswith(h[1:]) for h in self._hosts))

    def next_hop(self, hop: Hop, status: int, location: str) -> Hop:
        """The request a redirect asks for, or `RedirectRefused` saying why it is not followed."""
        target = urljoin(hop.url, location.strip())
        parts = urlsplit(target)
        why = self._refused(hop, target, parts.scheme, parts.hostname or "")
        if why:
            raise RedirectRefused(f"redirect from {hop.url} to {target} refused: {why}", url=hop.start)
        method = "GET" if status == 303 or (status in (301, 302) and hop.method == "POST") else hop.method
        keeps_body = method == hop.method and status in (307, 308)
        staying = hop.same_site and same_site(hop.url, target)
        if not staying and keeps_body and hop.has_body:
            raise RedirectRefused(f"redirect from {hop.url} to {target} refused: it would resend the request "
                                  "body to another host", url=hop.start)
        return replace(hop, method=method, url=target, number=hop.number + 1, same_site=staying,
                       headers=hop.headers if staying else {},  # credentials never cross hosts
                       json=hop.json if keeps_body else None, data=hop.data if keeps_body else None)

    def _refused(self, hop: Hop, target: str, scheme: str, host: str) -> str | None:
        if hop.number >= self.max_redirects:
            return f"more than {self.max_redirects} redirects"
        if scheme not in ("http", "https"):
            return f"scheme {scheme!r} is not http(s)"
        if not host:
            return "no host"
        if host.lower().rstrip(".") in METADATA_NAMES:
            return f"{host} is a cloud metadata name"
        if (kind := _literal_kind(host)) in ("metadata", "link-local", "unusable"):
            return f"{host} is a {kind} address"
        if urlsplit(hop.url).scheme == "https" and scheme == "http":
            return "https to http would send the request in clear text"
        if not same_site(hop.start, target) and not self.allows_host(host):
            return f"{host} is another host and not in this source's http.redirect_hosts"
        return None


def _literal_kind(host: str) -> str | None:
    try:
        return classify(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def resolves_to_loopback(url: str) -> bool:
    """Whether the URL's host is (or resolves only to) loopback addresses, e.g. a test server."""
    host = urlsplit(url).hostname or ""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return False
    return bool(found) and all(classify(ipaddress.ip_address(a.split("%", 1)[0])) == "loopback" for a in found)


def resolved_refusal(url: str, hop: Hop, start_is_loopback: bool) -> str | None:
    """The address check made before connecting, for requests through a proxy (which connects for us)."""
    host = urlsplit(url).hostname or ""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return None  # only the proxy can resolve it; the metadata names were refused already
    return next((why for a in sorted(found) if (why := refusal(a, hop, start_is_loopback))), None)
