"""HttpClient against hostile servers on 127.0.0.1: redirects to where they must not lead, decompression
bombs, servers that drip one byte at a time, and a shutdown that must not wait for any of them.

Memory is asserted with tracemalloc (what Python allocated while the body was read), not with timings.
"""

from __future__ import annotations

import functools
import threading
import tracemalloc
import zlib
from typing import Callable, Iterator

import pytest

from scrapers.base import ScrapeError
from scrapers.http import FetchError, HttpClient, HttpPolicy, Interrupted
from scrapers.redirects import Hop, refusal
from tests.fixture_server import Answer, FixtureServer
from tests.process_helpers import wait_for

MB = 1024 * 1024


def make_client(**overrides: object) -> HttpClient:
    policy = HttpPolicy(**{"rate_per_host": 0, "backoff_base_s": 0.01, "timeout_s": 5, "retries": 0, **overrides})
    return HttpClient(policy, sleep=lambda s: None)


@pytest.fixture
def other_host() -> Iterator[FixtureServer]:
    """A second server, reached as `localhost`: another host name than 127.0.0.1, also loopback."""
    with FixtureServer() as server:
        yield server


def _as_localhost(server: FixtureServer, path: str) -> str:
    return server.url(path).replace("127.0.0.1", "localhost")


@functools.lru_cache(maxsize=None)
def gzip_bomb(size: int, layers: int = 2) -> bytes:
    """`size` zero bytes gzipped `layers` times, built without holding `size` bytes in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MB)
    body = b"".join(packer.compress(zeros) for _ in range(size // MB)) + packer.flush()
    for _ in range(layers - 1):
        body = _gzip(body)
    return body


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return packer.compress(data) + packer.flush()


def peak_while(action: Callable[[], object]) -> int:
    """Peak bytes Python allocated while `action` ran (its exception, if any, is swallowed)."""
    tracemalloc.start()
    try:
        action()
    except Exception:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# -- redirects ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                                    "http://[::ffff:169.254.169.254]/latest/meta-data/",
                                    "http://metadata.google.internal/computeMetadata/v1/",
                                    "http://169.254.10.1/", "http://0.0.0.0:9464/metrics"])
def test_a_redirect_to_a_metadata_or_link_local_address_is_refused(fixture_server: FixtureServer,
                                                                   target: str) -> None:
    fixture_server.add("GET", "/feed", status=302, headers={"Location": target})
    with pytest.raises(ScrapeError, match="refused") as caught:
        make_client(redirect_hosts=["*"]).get(fixture_server.url("/feed"))
    assert "metadata" in str(caught.value) or "link-local" in str(caught.value) or "unusable" in str(caught.value)


def test_a_redirect_to_another_host_is_refused_unless_allowed(fixture_server: FixtureServer,
                                                              other_host: FixtureServer) -> None:
    fixture_server.add("GET", "/feed", status=302, headers={"Location": _as_localhost(other_host, "/stolen")})
    other_host.add("GET", "/stolen", body=b"<rss/>")
    with pytest.raises(ScrapeError, match="not in this source's http.redirect_hosts"):
        make_client().get(fixture_server.url("/feed"))
    assert other_host.requests == []

    allowed = make_client(redirect_hosts=["localhost"], headers={"X-Team-Token": "team-secret"})
    answer = allowed.get(fixture_server.url("/feed"), headers={"X-Goog-Api-Key": "AIza-secret",
                                                               "Authorization": "Bearer t0ken", "Cookie": "SUB=1"})
    assert answer.content == b"<rss/>" and answer.url == _as_localhost(other_host, "/stolen")
    sent = other_host.requests_to("/stolen")[0].headers
    assert not {"x-goog-api-key", "authorization", "cookie", "x-team-token"} & set(sent)
    assert fixture_server.requests_to("/feed")[-1].headers["x-goog-api-key"] == "AIza-secret"


def test_a_same_site_redirect_keeps_the_credentials(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/old", status=301, headers={"Location": "/new"})
    fixture_server.add("GET", "/new", body=b"ok", require_headers={"Authorization": "Bearer t0ken"})
    assert make_client().get(fixture_server.url("/old"), headers={"Authorization": "Bearer t0ken"}).content == b"ok"


def test_a_cross_host_redirect_never_resends_a_login_body(fixture_server: FixtureServer,
                                                          other_host: FixtureServer) -> None:
    fixture_server.add("POST", "/login", status=307, headers={"Location": _as_localhost(other_host, "/login")})
    with pytest.raises(ScrapeError, match="resend the request body"):
        make_client(redirect_hosts=["localhost"]).post(fixture_server.url("/login"), json={"password": "hunter2"})
    assert other_host.requests == []


def test_redirects_are_bounded(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(ScrapeError, match="more than 3 redirects"):
        make_client(max_redirects=3).get(fixture_server.url("/loop"))
    assert len(fixture_server.requests_to("/loop")) == 4


def test_robots_txt_redirects_follow_the_same_rules(fixture_server: FixtureServer, other_host: FixtureServer) -> None:
    fixture_server.add("GET", "/robots.txt", status=302, headers={"Location": _as_localhost(other_host, "/robots.txt")})
    other_host.add("GET", "/robots.txt", body="User-agent: *\nDisallow: /\n")
    fixture_server.add("GET", "/page", body=b"ok")
    assert make_client().get(fixture_server.url("/page")).content == b"ok"  # robots.txt unavailable: allowed
    assert other_host.requests == []


@pytest.mark.parametrize(("address", "hop", "from_loopback", "refused"), [
    ("93.184.216.34", Hop("GET", "u", number=1, same_site=False), False, False),
    ("10.0.0.7", Hop("GET", "u", number=1, same_site=False), False, True),
    ("192.168.1.1", Hop("GET", "u", number=1, same_site=False), False, True),
    ("127.0.0.1", Hop("GET", "u", number=1, same_site=False), False, True),
    ("127.0.0.1", Hop("GET", "u", number=1, same_site=False), True, False),  # a local server, as in tests
    ("::1", Hop("GET", "u", number=1, same_site=False), False, True),
    ("10.0.0.7", Hop("GET", "u"), False, False),  # the configured URL itself: an intranet forum is fine
    ("10.0.0.7", Hop("GET", "u", number=2, same_site=True), False, False),
    ("169.254.169.254", Hop("GET", "u"), False, True),  # not even when configured
    ("fd00:ec2::254", Hop("GET", "u"), False, True),
    ("::ffff:169.254.169.254", Hop("GET", "u"), False, True),
    ("fe80::1", Hop("GET", "u", number=1), False, True),
    ("224.0.0.1", Hop("GET", "u"), False, True),
])
def test_which_addresses_a_hop_may_reach(address: str, hop: Hop, from_loopback: bool, refused: bool) -> None:
    assert (refusal(address, hop, from_loopback) is not None) == refused


# -- decompression bombs -----------------------------------------------------------------------------

def test_a_gzip_gzip_bomb_is_stopped_at_the_cap_as_it_streams(fixture_server: FixtureServer) -> None:
    bomb = gzip_bomb(32 * MB)
    assert len(bomb) < 2000
    fixture_server.add("GET", "/api", body=bomb, headers={"Content-Encoding": "gzip, gzip",
                                                          "Content-Type": "application/json"})
    client = make_client(max_body_bytes=MB)
    assert peak_while(lambda: client.get(fixture_server.url("/api"))) < 4 * MB  # not 32 MB
    with pytest.raises(ScrapeError, match="cap once decompressed"):
        client.get(fixture_server.url("/api"))


def test_an_error_answer_with_a_bomb_body_reads_only_a_little(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/api", status=503, body=gzip_bomb(32 * MB, layers=1),
                       headers={"Content-Encoding": "gzip"})
    client = make_client(max_body_bytes=MB)
    with pytest.raises(FetchError) as caught:
        client.get(fixture_server.url("/api"))
    assert caught.value.status == 503 and len(caught.value.body) <= 2048
    assert peak_while(lambda: client.get(fixture_server.url("/api"))) < 4 * MB


def test_a_gzipped_robots_txt_is_read_only_up_to_its_cap(fixture_server: FixtureServer) -> None:
    rules = b"User-agent: *\nDisallow: /private\n"
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    comment = b"#" * MB
    robots = packer.compress(rules) + b"".join(packer.compress(comment) for _ in range(32)) + packer.flush()
    fixture_server.add("GET", "/robots.txt", body=robots, headers={"Content-Encoding": "gzip"})
    fixture_server.add("GET", "/public", body=b"ok")

    def crawl() -> None:
        client = make_client()
        assert client.get(fixture_server.url("/public")).content == b"ok"
        with pytest.raises(ScrapeError, match="robots"):
            client.get(fixture_server.url("/private/x"))

    crawl()
    assert peak_while(crawl) < 4 * MB  # the 32 MB robots.txt was never held whole


def test_a_body_without_length_is_cut_at_the_cap_on_the_wire(fixture_server: FixtureServer) -> None:
    fixture_server.add_sequence("GET", "/big", [Answer(body=b"x" * (3 * MB), length=False)])
    with pytest.raises(ScrapeError, match="cap on the wire"):
        make_client(max_body_bytes=MB).get(fixture_server.url("/big"))


def test_compressed_bodies_still_read_normally(fixture_server: FixtureServer) -> None:
    text = "ร้องเรียน สคบ. ".encode() * 2000
    fixture_server.add("GET", "/gz", body=_gzip(_gzip(text)), headers={"Content-Encoding": "gzip, gzip"})
    fixture_server.add("GET", "/deflate", body=zlib.compress(text), headers={"Content-Encoding": "deflate"})
    client = make_client()
    assert client.get(fixture_server.url("/gz")).content == text
    assert client.get(fixture_server.url("/deflate")).content == text
    assert "gzip" in fixture_server.requests_to("/gz")[0].headers["accept-encoding"]


# -- slow servers and shutdown -----------------------------------------------------------------------

@pytest.mark.parametrize("drip_head", [True, False])
def test_a_dripping_server_is_cut_off_at_the_deadline(fixture_server: FixtureServer, drip_head: bool) -> None:
    # One byte every 0.1 s never trips the 5 s read timeout; only the deadline ends it.
    fixture_server.add_sequence("GET", "/drip", [Answer(body=b"x" * 400, drip_s=0.1, drip_head=drip_head)])
    with pytest.raises(FetchError, match="within the 1 s deadline"):
        make_client(deadline_s=1).get(fixture_server.url("/drip"))


def test_the_stop_flag_abandons_a_request_in_flight(fixture_server: FixtureServer) -> None:
    fixture_server.add_sequence("GET", "/drip", [Answer(body=b"x" * 400, drip_s=0.1)])
    stop = threading.Event()
    client = HttpClient(HttpPolicy(rate_per_host=0, retries=3, deadline_s=600), stopping=stop.is_set)
    outcome: list[BaseException] = []

    def fetch() -> None:
        try:
            client.get(fixture_server.url("/drip"))
        except BaseException as exc:  # the outcome is the point of the test
            outcome.append(exc)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    assert wait_for(lambda: fixture_server.requests_to("/drip") != [], timeout=10)
    stop.set()
    worker.join(timeout=10)  # a hang guard only: the drip would last a minute, the deadline 10 minutes
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Interrupted)
    assert len(fixture_server.requests_to("/drip")) == 1  # interrupted, not retried
