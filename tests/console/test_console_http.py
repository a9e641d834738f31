"""The console over HTTP (Starlette's test client, no browser): what each page shows, CSRF on every POST,
credentials beyond loopback, the read-only console, and refusing a foreign Host."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from alerts.types import Delivery
from listener.config import parse_config_text
from listener.console.auth import Credentials, credentials
from listener.console.web import create_app
from listener.errors import ConfigError
from listener.store import outbox_repo
from tests.console.seed import add_dead_alert, context, seeded_world
from tests.listener.test_incidents_world import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = seeded_world(tmp_path)
    add_dead_alert(world, [Delivery(ok=False, error="invalid_auth", permanent=True)])
    return world


def _client(world: World, **kwargs) -> TestClient:  # type: ignore[no-untyped-def]
    credentials = kwargs.pop("credentials", None)
    return TestClient(create_app(context(world, **kwargs), credentials), base_url="http://127.0.0.1")


def _token(html: str) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_pages_show_incidents_posts_messages_sources_and_failures(world: World) -> None:
    client = _client(world)
    listing = client.get("/").text
    assert "เน็ตล่มทั้งวัน" in listing and "acme" in listing and "34 comments" in listing
    page = client.get("/incidents/1").text
    assert "ซิมทรูโดนตัดสัญญาณทั้งวัน" in page and "ความเห็นที่ 3" in page and "สคบ." in page
    assert "complaint 0.80" in page and "terms: ทรู" in page  # each post's score and reason
    assert re.search(r"<td>new</td>\s*<td>sent", page)  # the Slack message sent for it
    sources = client.get("/sources").text
    assert "degraded" in sources and "HTTP 403 from graph.facebook.com" in sources
    failed = client.get("/outbox").text
    assert "invalid_auth" in failed and "Re-send" in failed


def test_incident_list_filters_by_status_tier_and_acknowledgement(world: World) -> None:
    client = _client(world)
    first, second = world.incident("T1"), world.incident("T2")
    assert first.severity != "watch" and second.severity != "watch"
    assert "No incidents match." in client.get("/?severity=watch").text
    assert "No incidents match." in client.get("/?status=closed").text
    tier = client.get(f"/?severity={first.severity}").text
    assert "เน็ตล่มทั้งวัน" in tier and 'class="sev-' + first.severity in tier
    client.post("/incidents/1/acknowledge", data={"csrftoken": _token(client.get("/incidents/1").text)})
    acked, unacked = client.get("/?acked=yes").text, client.get("/?acked=no").text
    assert 'href="/incidents/1"' in acked and 'href="/incidents/2"' not in acked
    assert "console at" in acked  # acknowledged by whom and when
    assert 'href="/incidents/2"' in unacked and 'href="/incidents/1"' not in unacked


def test_every_post_needs_the_csrf_token_even_without_cookies(world: World) -> None:
    client = _client(world)
    assert client.post("/outbox/resend", data={"scope": "all"}).status_code == 403
    assert client.post("/incidents/1/acknowledge", data={}).status_code == 403  # no cookie: a page on another site
    with world.store.session() as s:
        assert len(outbox_repo.rows_with_status(s, "dead")) == 1
    assert world.incident("T1").acked_at is None


def test_resend_puts_dead_alerts_back_in_line(world: World) -> None:
    client = _client(world)
    answer = client.post("/outbox/resend", data={"csrftoken": _token(client.get("/outbox").text), "scope": "all"})
    assert answer.status_code == 200 and "1 dead alert(s) queued" in answer.text
    with world.store.session() as s:
        assert outbox_repo.rows_with_status(s, "dead") == []


def test_silence_from_the_console_is_listed_and_can_be_expired(world: World) -> None:
    client = _client(world)
    token = _token(client.get("/silences").text)
    assert "needs a watchlist" in client.post("/silences", data={"csrftoken": token, "hours": "4"}).text
    done = client.post("/silences", data={"csrftoken": token, "watchlist": "acme", "hours": "2", "comment": "outage"})
    assert "silence #1 is on" in done.text and "watchlist acme" in done.text and "Expire now" in done.text
    expired = client.post("/silences/1/expire", data={"csrftoken": token})
    assert "silence #1 expired" in expired.text and "expired by console" in expired.text


def test_read_only_console_refuses_changes(world: World) -> None:
    client = _client(world, read_only=True)
    page = client.get("/outbox").text
    assert "Re-send" not in page
    token = _token(client.get("/try").text)
    assert client.post("/outbox/resend", data={"csrftoken": token, "scope": "all"}).status_code == 403
    with world.store.session() as s:
        assert len(outbox_repo.rows_with_status(s, "dead")) == 1


def test_credentials_are_asked_for_when_configured(world: World) -> None:
    client = _client(world, credentials=Credentials(token="s3cret"))
    refused = client.get("/")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    basic = base64.b64encode(b"somsri:s3cret").decode()
    assert client.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    users = _client(world, credentials=Credentials(user="ops", password="pw"))
    good, bad = base64.b64encode(b"ops:pw").decode(), base64.b64encode(b"ops:nope").decode()
    assert users.get("/", headers={"Authorization": f"Basic {good}"}).status_code == 200
    assert users.get("/", headers={"Authorization": f"Basic {bad}"}).status_code == 401


def test_a_foreign_host_header_is_refused(world: World) -> None:
    assert _client(world).get("/", headers={"Host": "attacker.example"}).status_code == 400


def test_beyond_loopback_the_config_demands_credentials_and_they_must_be_set() -> None:
    with pytest.raises(ConfigError, match="console.token_env or console.basic_auth_env"):
        parse_config_text("console:\n  host: 0.0.0.0\n")
    settings = parse_config_text("console: {host: 0.0.0.0, token_env: CONSOLE_TOKEN}").config.console
    with pytest.raises(ConfigError, match=r"\$CONSOLE_TOKEN, which is empty"):
        credentials(settings, {})
    assert credentials(settings, {"CONSOLE_TOKEN": "t"}).token == "t"


def test_post_text_is_shown_as_text_never_as_markup(world: World) -> None:
    world.post(0.8, text='<script>alert("x")</script><img src=x onerror=alert(1)>')
    page = _client(world).get("/incidents/1").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
