"""The console in a real headless browser: Debian's Chromium (/usr/bin/chromium) driven through Playwright's
Python client, against the console served by uvicorn as the daemon serves it. One browser for the module.

Pages load and link up, the growth chart's SVG holds the thread's readings, the re-send button sends a dead
alert again through the real dispatcher and slack_sdk into the local Slack server, and the "try it" box runs
the shipped watchlists and model. Screenshots land in $FANGSIANG_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from alerts.slack import SlackNotifier
from listener.config.alerting import AlertingConfig
from listener.console.server import ConsoleServer
from listener.console.views import ConsoleContext
from listener.console.web import create_app
from tests.console.seed import COMMENTS, add_dead_alert, seeded_world
from tests.listener.test_incidents_world import World
from tests.slack_server import SlackTestServer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed "
                                                                      "(apt-get install chromium; .ci/run does)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="fangsiang-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                                args=ARGS)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def shipped() -> tuple[Any, Any]:
    """The shipped watchlists and embedded model, loaded once for the module."""
    from listener.config.yamlio import load_yaml
    from listener.triage.watchlists import load_watchlists
    from sentiment import load_backend

    doc = load_yaml(ROOT / "watchlists" / "brands.yaml")
    return load_watchlists(doc.data["watchlists"], located=doc, prefix=("watchlists",)), load_backend("embedded")


def _serve(world: World, watchlists: Any = (), backend: Any = None) -> ConsoleServer:
    ctx = ConsoleContext(store=world.store, alerting=AlertingConfig(), watchlists=lambda: watchlists,
                         backend=lambda: backend, clock=world.clock)
    server = ConsoleServer(create_app(ctx), "127.0.0.1", 0)
    assert server.start()
    return server


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("FANGSIANG_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_pages_load_and_the_growth_chart_draws_every_reading(tmp_path: Path, browser: Any) -> None:
    server = _serve(seeded_world(tmp_path))
    page = browser.new_page()
    try:
        page.goto(server.url + "/")
        assert page.locator("#incidents tbody tr").count() == 1
        _shot(page, "incidents")
        page.click("text=เน็ตล่มทั้งวัน")
        assert page.url.endswith("/incidents/1")
        chart = page.locator("svg#growth-chart")
        assert chart.is_visible()
        readings = chart.locator("circle.reading")
        assert [int(readings.nth(i).get_attribute("data-comments")) for i in range(readings.count())] == COMMENTS
        points = chart.locator("polyline.growth").get_attribute("points").split()
        ys = [float(p.split(",")[1]) for p in points]
        assert len(points) == len(COMMENTS) and ys == sorted(ys, reverse=True)  # a growing thread climbs
        assert chart.evaluate("svg => svg.getBBox().width") > 100  # laid out, not an empty box
        assert page.locator("#posts tbody tr").count() == len(COMMENTS)
        band = chart.locator("polygon.forecast-band")  # the spread forecast's 80 % interval at 24 h
        assert band.count() == 1 and len(band.get_attribute("points").split()) == 3
        expected = float(chart.locator("line.forecast-expected").get_attribute("data-expected"))
        assert expected >= COMMENTS[-1]  # a thread never loses the comments it has
        _shot(page, "incident")
        for link, heading in (("Sources", "Sources"), ("Outbox", "Outbox"), ("Silences", "Silences")):
            page.click(f"header >> text={link}")
            assert page.locator("h1").inner_text() == heading
    finally:
        page.close()
        server.stop()


def test_resend_button_sends_a_dead_alert_through_slack(tmp_path: Path, browser: Any,
                                                        slack_server: SlackTestServer) -> None:
    world = seeded_world(tmp_path, notifier=SlackNotifier(slack_server.token, base_url=slack_server.api_url))
    slack_server.fail_with("invalid_auth")  # the wrong token of week one: Slack refuses for good
    add_dead_alert(world)
    before = len(slack_server.messages("#care"))
    server = _serve(world)
    page = browser.new_page()
    try:
        page.goto(server.url + "/outbox")
        dead = page.locator("#outbox tbody tr.status-dead")
        assert dead.count() == 1 and "invalid_auth" in dead.inner_text()
        _shot(page, "outbox-dead")
        dead.locator("button.resend").click()
        assert "1 dead alert(s) queued to be sent again" in page.locator(".notice").inner_text()
        world.dispatch()  # the daemon's next dispatch
        texts = [m["text"] for m in slack_server.messages("#care")[before:]]
        assert len(texts) == 1 and "แอปธนาคารล่ม" in world.incident("T2").excerpt
        page.goto(server.url + "/outbox?view=all")
        row = page.locator("#outbox tbody tr", has_text="#2").first
        assert row.locator("td.status").inner_text() == "sent"
        _shot(page, "outbox-resent")
    finally:
        page.close()
        server.stop()


def test_try_box_shows_matching_terms_and_the_model_score(tmp_path: Path, browser: Any,
                                                          shipped: tuple[Any, Any]) -> None:
    watchlists, backend = shipped
    server = _serve(World(tmp_path), watchlists, backend)
    page = browser.new_page()
    try:
        page.goto(server.url + "/try")
        page.fill("textarea[name=text]", "เน็ตทรูล่มทั้งวัน โทร 1242 ก็ไม่มีใครรับ จะร้องเรียน สคบ")
        page.click("#try button")
        terms = page.locator("#matches td.terms").all_inner_texts()
        assert any("เน็ตทรู" in t for t in terms)
        expected = backend.predict(["เน็ตทรูล่มทั้งวัน โทร 1242 ก็ไม่มีใครรับ จะร้องเรียน สคบ"])[0]
        assert page.locator("#complaint").inner_text() == f"{expected.complaint:.2f}"
        assert page.locator("#sentiment").inner_text() == expected.label
        _shot(page, "try")
    finally:
        page.close()
        server.stop()
