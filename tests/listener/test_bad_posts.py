"""One bad post never blinds its source: a lone surrogate, a NUL or broken UTF-8 in a comment is cleaned, a post
the store cannot keep is set aside with the reason, and the cursor, the later sources, scoring and dispatch
all go on. A source that keeps failing the same way is reported degraded, in `fangsiang status` and to the
ops channel. Real HTTP on 127.0.0.1, a real SQLite file or the local PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.slack import SlackNotifier
from listener.app import build
from listener.cli import main
from listener.config import parse_config_text
from listener.demo import SITE
from listener.describe import describe_health
from listener.pipeline import Pipeline
from listener.store.models import PostRow, RejectedPost, SourceState
from tests.fixture_server import FIXTURES, FixtureServer
from tests.listener.test_health import Clock
from tests.process_helpers import query
from tests.slack_server import SlackTestServer
from tests.test_end_to_end import COMPLAINT, _serve_site

CONFIG = """
storage: {{url: "{db}"}}
http: {{rate_per_host: 0, retries: 0}}
slack: {{token_env: BAD_POSTS_NO_TOKEN}}
metrics: {{enabled: false}}
alerting: {{ops_channel: "#ops", daily_summary_at: null}}
health: {{failures_before_degraded: 5}}
sources:
  - {{name: pantip-mbk, kind: pantip, options: {{base_url: "{site}", rooms: [mbk], backfill_hours: 1000000}}}}
  - {{name: brand-blog, kind: rss, options: {{urls: ["{site}/feed.xml"]}}}}
watchlists:
  - {{name: saifah-net, terms: {{th: ["สายฟ้าเน็ต"]}}}}
"""
THAI = "เน็ตหลุดอีกแล้ว"


def hostile_comments() -> bytes:
    """The complaint thread's comments, as Pantip's API might send them after a bad paste: a lone surrogate
    and a NUL as JSON escapes, and a UTF-8 sequence cut in half in the middle of Thai text."""
    page = json.loads((SITE / f"forum/topic/render_comments/{COMPLAINT}.json").read_text(encoding="utf-8-sig"))
    page["comments"][0]["message"] = f"{THAI} @SURROGATE@ ตั้งแต่เมื่อวาน"
    page["comments"][1]["message"] = f"{THAI} @NUL@ ทุกคืน"
    page["comments"][1]["user"]["name"] = "สมาชิก @SURROGATE@"
    page["comments"][2]["message"] = f"{THAI} @BROKEN@ สามวันแล้ว"
    raw = json.dumps(page, ensure_ascii=False).encode("utf-8")
    return (raw.replace(b"@SURROGATE@", b"\\ud800").replace(b"@NUL@", b"\\u0000")
            .replace(b"@BROKEN@", "ร".encode("utf-8")[:2]))


def serve(server: FixtureServer) -> None:
    _serve_site(server)
    server.add("GET", "/forum/topic/render_comments", query={"tid": COMPLAINT}, body=hostile_comments(),
               content_type="application/json")
    server.add("GET", "/feed.xml", file=FIXTURES / "rss/brand_blog_atom_synthetic.xml")


def _config(tmp_path: Path, server: FixtureServer, db: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=db, site=server.base_url), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model() -> object:
    """The shipped model, loaded once for this module's pipelines."""
    from sentiment import load_backend

    return load_backend("embedded")


def _pipeline(tmp_path: Path, server: FixtureServer, db: str, model: object, notifier: object = None) -> Pipeline:
    loaded = parse_config_text(CONFIG.format(db=db, site=server.base_url), base_dir=tmp_path)
    return Pipeline(build(loaded, notifier=notifier, clock=Clock(), backend=model))


def test_once_cleans_bad_characters_and_goes_on_to_the_next_source(
        tmp_path: Path, fixture_server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    serve(fixture_server)
    db = tmp_path / "bad.db"
    config = _config(tmp_path, fixture_server, f"sqlite:///{db}")
    assert main(["--config", str(config), "once"]) == 0
    printed = capsys.readouterr().out
    assert "source pantip-mbk: error" not in printed and "source brand-blog: 2 fetched, 2 new" in printed
    texts = dict(query(db, "SELECT external_id, text FROM posts WHERE source = 'pantip-mbk'"))
    assert texts[f"{COMPLAINT}#1"] == f"{THAI} \ufffd ตั้งแต่เมื่อวาน"  # the surrogate, replaced
    assert texts[f"{COMPLAINT}#2"] == f"{THAI} \ufffd ทุกคืน"  # the NUL, replaced
    assert texts[f"{COMPLAINT}#3"] == f"{THAI} \ufffd สามวันแล้ว"  # half a character, not a page of mojibake
    assert query(db, f"SELECT author FROM posts WHERE external_id = '{COMPLAINT}#2'") == [("สมาชิก \ufffd",)]
    assert query(db, "SELECT count(*) FROM posts WHERE scored_at IS NULL") == [(0,)]  # scoring ran
    assert all(c for (c,) in query(db, "SELECT cursor FROM sources"))  # both cursors moved

    assert main(["--config", str(config), "once"]) == 0  # the same posts again: nothing new, no error
    again = capsys.readouterr().out
    assert "0 new" in again and "error" not in again
    assert query(db, "SELECT count(*) FROM posts WHERE source = 'pantip-mbk'") == [(len(texts),)]


def test_postgres_takes_the_same_posts(tmp_path: Path, fixture_server: FixtureServer,
                                       postgres_schema_url: str, model: object) -> None:
    serve(fixture_server)
    pipeline = _pipeline(tmp_path, fixture_server, postgres_schema_url, model)
    report = pipeline.run_once()
    assert {r.source: r.error for r in report.ingested} == {"pantip-mbk": None, "brand-blog": None}
    with pipeline.parts.store.session() as session:
        texts = {p.external_id: p.text for p in session.query(PostRow).filter_by(source="pantip-mbk")}
    assert texts[f"{COMPLAINT}#2"] == f"{THAI} \ufffd ทุกคืน"  # PostgreSQL text refuses NUL
    assert texts[f"{COMPLAINT}#1"] == f"{THAI} \ufffd ตั้งแต่เมื่อวาน"
    assert report.scored == len(texts) + 2
    assert all(r.new == 0 and r.error is None for r in pipeline.run_once().ingested)


LONG_GUID = "urn:brand-blog:" + "x" * 400


def _feed_with_a_long_id() -> bytes:
    feed = (FIXTURES / "rss/brand_blog_atom_synthetic.xml").read_text(encoding="utf-8")
    first_id = feed.split("<id>", 2)[2].split("</id>", 1)[0]  # the first entry's (the feed's own id comes first)
    return feed.replace(f"<id>{first_id}</id>", f"<id>{LONG_GUID}</id>", 1).encode("utf-8")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_post_the_store_cannot_keep_is_set_aside_with_its_reason(
        tmp_path: Path, fixture_server: FixtureServer, request: pytest.FixtureRequest, backend: str,
        model: object) -> None:
    _serve_site(fixture_server)
    fixture_server.add("GET", "/feed.xml", body=_feed_with_a_long_id(), content_type="application/atom+xml")
    db = request.getfixturevalue("postgres_schema_url") if backend == "postgresql" else f"sqlite:///{tmp_path}/r.db"
    pipeline = _pipeline(tmp_path, fixture_server, db, model)
    report = pipeline.run_once()
    blog = {r.source: r for r in report.ingested}["brand-blog"]
    assert blog.error is None and (blog.fetched, blog.new, blog.rejected) == (2, 1, 1)
    with pipeline.parts.store.session() as session:
        aside = session.query(RejectedPost).one()
        state = session.query(SourceState).filter_by(name="brand-blog").one()
        assert aside.source == "brand-blog" and aside.external_id == LONG_GUID[:300]
        assert "external_id is 415 characters" in aside.reason
        assert state.rejected_total == 1 and state.cursor is not None
    status = describe_health(pipeline.parts.store)
    assert "posts set aside" in status and "external_id is 415 characters" in status
    assert all(r.new == 0 and r.rejected == 0 for r in pipeline.run_once().ingested)  # the cursor moved on


def test_a_source_that_fails_the_same_way_twice_is_degraded(
        tmp_path: Path, fixture_server: FixtureServer, slack_server: SlackTestServer, model: object) -> None:
    serve(fixture_server)
    fixture_server.add("GET", "/api/forum-service/forum/room_topic", query={"room": "mbk"},
                       body=b'{"data": [', content_type="application/json")  # cut short, on every run
    notifier = SlackNotifier(slack_server.token, base_url=slack_server.api_url, timeout=5)
    pipeline = _pipeline(tmp_path, fixture_server, f"sqlite:///{tmp_path}/d.db", model, notifier)
    first = pipeline.run_once()
    assert "invalid JSON" in (first.ingested[0].error or "") and first.ingested[1].error is None
    assert slack_server.messages("#ops") == []
    pipeline.parts.clock.now += timedelta(minutes=5)
    pipeline.run_once()  # the same failure again: it will not fix itself (5 would be needed otherwise)
    ops = [m["text"] for m in slack_server.messages("#ops")]
    assert len(ops) == 1 and "pantip-mbk" in ops[0]
    status = describe_health(pipeline.parts.store)
    assert "DEGRADED" in status and "fails the same way on every run" in status


def test_a_database_that_refuses_a_source_records_a_failure_and_the_rest_goes_on(
        tmp_path: Path, fixture_server: FixtureServer, model: object) -> None:
    serve(fixture_server)
    db = tmp_path / "refusing.db"
    pipeline = _pipeline(tmp_path, fixture_server, f"sqlite:///{db}", model)
    with sqlite3.connect(db) as conn:  # the database itself says no to this source's rows, whatever they hold
        for table in ("posts", "rejected_posts"):
            conn.execute(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} WHEN NEW.source = 'pantip-mbk' "
                         "BEGIN SELECT RAISE(ABORT, 'disk quota for pantip-mbk exceeded'); END")
    report = pipeline.run_once()
    results = {r.source: r for r in report.ingested}
    assert "disk quota for pantip-mbk exceeded" in (results["pantip-mbk"].error or "")
    assert results["brand-blog"].new == 2 and report.scored == 2
    pipeline.parts.clock.now += timedelta(minutes=5)
    pipeline.run_once()
    status = describe_health(pipeline.parts.store)
    assert "DEGRADED" in status and "disk quota for pantip-mbk exceeded" in status
