"""HttpClient over real HTTP against the local fixture server."""

from __future__ import annotations

import json
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from scrapers.base import ScrapeError
from scrapers.http import DEFAULT_USER_AGENT, FetchError, HttpClient, HttpPolicy, parse_retry_after
from scrapers.response import Response, decode_body
from tests.fixture_server import Answer, FixtureServer


class SleepLog:
    """Records the sleeps the client asks for instead of waiting, and moves a fake clock."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_client(**overrides: object) -> tuple[HttpClient, SleepLog]:
    sleeps = SleepLog()
    policy = HttpPolicy(**{"rate_per_host": 0, "backoff_base_s": 0.01, "timeout_s": 5, **overrides})
    return HttpClient(policy, sleep=sleeps, clock=sleeps.clock), sleeps


def test_get_sends_user_agent_and_params(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/api", body=b'{"ok": true}', content_type="application/json")
    client, _ = make_client()
    response = client.get(fixture_server.url("/api"), params={"q": "ทรู", "n": 2}, headers={"X-A": "1"})
    assert response.status == 200 and response.json() == {"ok": True}
    request = fixture_server.requests_to("/api")[0]
    assert request.headers["user-agent"] == DEFAULT_USER_AGENT
    assert request.headers["x-a"] == "1"
    assert request.param("q") == "ทรู" and request.param("n") == "2"


def test_post_json_body(fixture_server: FixtureServer) -> None:
    fixture_server.add("POST", "/search", body=b"{}", require_headers={"ptauthorize": "Basic x"})
    client, _ = make_client()
    client.post(fixture_server.url("/search"), json={"keyword": "ais"}, headers={"ptauthorize": "Basic x"})
    assert json.loads(fixture_server.requests_to("/search")[0].body) == {"keyword": "ais"}


def test_429_retry_after_seconds_then_success(fixture_server: FixtureServer) -> None:
    fixture_server.add_sequence("GET", "/r", [Answer(status=429, headers={"Retry-After": "7"}),
                                              Answer(body=b"done")])
    client, sleeps = make_client()
    assert client.get(fixture_server.url("/r")).content == b"done"
    assert sleeps.calls == [7.0]
    assert len(fixture_server.requests_to("/r")) == 2


def test_retry_after_is_capped() -> None:
    assert parse_retry_after("120") == 120.0
    future = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=90), usegmt=True)
    assert 80 < (parse_retry_after(future) or 0) <= 90
    assert parse_retry_after("garbage") is None


def test_retry_after_http_date_capped(fixture_server: FixtureServer) -> None:
    later = format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)
    fixture_server.add_sequence("GET", "/d", [Answer(status=503, headers={"Retry-After": later}), Answer()])
    client, sleeps = make_client(retry_after_max_s=30)
    client.get(fixture_server.url("/d"))
    assert sleeps.calls == [30]


def test_500s_then_success_backs_off_exponentially(fixture_server: FixtureServer) -> None:
    fixture_server.add_sequence("GET", "/s", [Answer(status=500), Answer(status=502), Answer(body=b"ok")])
    client, sleeps = make_client(backoff_base_s=1.0)
    assert client.get(fixture_server.url("/s")).content == b"ok"
    assert len(sleeps.calls) == 2
    assert 0.5 <= sleeps.calls[0] <= 1.0 and 1.0 <= sleeps.calls[1] <= 2.0


def test_retries_exhausted_raise_fetch_error(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/down", status=503, body=b"maintenance")
    client, sleeps = make_client(retries=2)
    with pytest.raises(FetchError) as caught:
        client.get(fixture_server.url("/down"))
    assert caught.value.status == 503 and caught.value.url.endswith("/down")
    assert caught.value.body == b"maintenance"
    assert len(fixture_server.requests_to("/down")) == 3 and len(sleeps.calls) == 2


def test_404_raises_at_once_unless_allowed(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/gone", status=404)
    client, sleeps = make_client()
    with pytest.raises(FetchError) as caught:
        client.get(fixture_server.url("/gone"))
    assert caught.value.status == 404 and sleeps.calls == []
    assert client.get(fixture_server.url("/gone"), allow_status={404}).status == 404


def test_timeout_then_success(fixture_server: FixtureServer) -> None:
    fixture_server.add_sequence("GET", "/slow", [Answer(delay_s=1.5), Answer(body=b"fast")])
    client, sleeps = make_client(timeout_s=0.3)
    assert client.get(fixture_server.url("/slow")).content == b"fast"
    assert len(sleeps.calls) == 1


def test_timeout_exhausted(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/slow", delay_s=1.0)
    client, _ = make_client(timeout_s=0.2, retries=1)
    with pytest.raises(FetchError, match="timeout") as caught:
        client.get(fixture_server.url("/slow"))
    assert caught.value.status is None


def test_connection_refused_raises_fetch_error() -> None:
    client, sleeps = make_client(retries=1)
    with FixtureServer() as server:
        url = server.url("/x")
    with pytest.raises(FetchError, match="connection error"):
        client.get(url)
    assert len(sleeps.calls) == 1


def test_conditional_get_304_and_validator_export(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/feed", body=b"<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})
    client, _ = make_client()
    url = fixture_server.url("/feed")
    assert client.get(url).not_modified is False
    fixture_server.add("GET", "/feed", status=304, require_headers={"If-None-Match": '"v1"'})
    second = client.get(url)
    assert second.not_modified and second.status == 304 and second.content == b""
    assert fixture_server.requests_to("/feed")[1].headers["if-modified-since"].startswith("Mon, 01 Jan 2024")
    # A new client (after a restart) sends the validators the listener persisted.
    saved = json.loads(json.dumps(client.export_validators()))
    fresh, _ = make_client()
    fresh.import_validators(saved)
    assert fresh.get(url).not_modified
    assert "if-none-match" not in fixture_server.requests_to("/feed")[0].headers
    # Unconditional GET sends no validator (the route answers 400 without one).
    assert fresh.get(url, conditional=False, allow_status={400}).status == 400
    assert "if-none-match" not in fixture_server.requests_to("/feed")[-1].headers


def test_robots_disallow_and_cached_once(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/robots.txt", body="User-agent: fangsiang\nDisallow: /private\n")
    fixture_server.add("GET", "/public", body=b"ok")
    client, _ = make_client()
    assert client.get(fixture_server.url("/public")).content == b"ok"
    with pytest.raises(ScrapeError, match="robots"):
        client.get(fixture_server.url("/private/page"))
    assert fixture_server.requests_to("/private/page") == []
    assert len(fixture_server.requests_to("/robots.txt")) == 1
    ignoring, _ = make_client(respect_robots=False)
    with pytest.raises(FetchError):  # no route: 404, but the request was made
        ignoring.get(fixture_server.url("/private/page"))


def test_robots_missing_allows_everything(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/a", body=b"a")
    client, _ = make_client()
    assert client.get(fixture_server.url("/a")).content == b"a"
    assert client.get(fixture_server.url("/a")).content == b"a"
    assert len(fixture_server.requests_to("/robots.txt")) == 1


def test_body_cap(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/big", body=b"x" * 5000)
    client, _ = make_client(max_body_bytes=1000)
    with pytest.raises(ScrapeError, match="cap"):
        client.get(fixture_server.url("/big"))


def test_rate_limit_spaces_requests_per_host(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/p", body=b"ok")
    client, sleeps = make_client(rate_per_host=0.5, respect_robots=False)
    for _ in range(3):
        client.get(fixture_server.url("/p"), conditional=False)
    assert len(sleeps.calls) == 2 and sleeps.calls == [2.0, 2.0]


def test_robots_crawl_delay_slows_host(fixture_server: FixtureServer) -> None:
    fixture_server.add("GET", "/robots.txt", body="User-agent: *\nCrawl-delay: 5\n")
    fixture_server.add("GET", "/p", body=b"ok")
    client, sleeps = make_client(rate_per_host=10)
    client.get(fixture_server.url("/p"))
    client.get(fixture_server.url("/p"))
    assert sleeps.calls[-1] == 5.0  # the first waits only our own 0.1 s after the robots.txt fetch


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b"\xef\xbb\xbf{\"a\": 1}", "application/json", '{"a": 1}'),
        ("ทดสอบ".encode("cp874"), "text/html; charset=tis-620", "ทดสอบ"),
        ('<meta charset="windows-874"><p>ทรู'.encode("cp874"), "text/html", '<meta charset="windows-874"><p>ทรู'),
        ("ร้องเรียน".encode("utf-8"), "", "ร้องเรียน"),
        ("ดีแทค".encode("cp874"), "text/html", "ดีแทค"),
    ],
)
def test_decode_body(content: bytes, content_type: str, expected: str) -> None:
    assert decode_body(content, content_type) == expected


def test_json_errors() -> None:
    assert Response(200, "u", b"\xef\xbb\xbf[1]").json() == [1]
    with pytest.raises(ScrapeError) as caught:
        Response(200, "http://x/api", b"<!DOCTYPE html><html>consent</html>").json()
    assert caught.value.layout_changed and caught.value.url == "http://x/api"
    with pytest.raises(ScrapeError, match="invalid JSON"):
        Response(200, "u", b'{"a": ').json()
    with pytest.raises(ScrapeError, match="empty"):
        Response(200, "u", b"").json()
