"""ETag / Last-Modified validators are stored with the cursor, so a restarted daemon still asks "changed?"."""

from __future__ import annotations

from pathlib import Path

from listener.app import build
from listener.config import parse_config_text
from listener.pipeline import Pipeline
from tests.fixture_server import FIXTURES, Answer, FixtureServer

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
http: {{rate_per_host: 0, retries: 0}}
sources:
  - {{name: brand-blog, kind: rss, options: {{urls: ["{site}/feed.xml"]}}}}
watchlists:
  - {{name: any-brand, terms: {{en: ["fangsiang-never-matches"]}}}}
"""


def test_a_new_process_sends_the_stored_etag(tmp_path: Path, fixture_server: FixtureServer) -> None:
    feed = Answer.from_file(FIXTURES / "rss/brand_blog_atom_synthetic.xml", headers={"ETag": '"v1"'})
    fixture_server.add_sequence("GET", "/feed.xml", [feed, Answer(status=304, headers={"ETag": '"v1"'})])
    text = CONFIG.format(db=tmp_path / "c.db", site=fixture_server.base_url)

    first = Pipeline(build(parse_config_text(text, base_dir=tmp_path))).run_once()
    assert first.ingested[0].new > 0
    again = Pipeline(build(parse_config_text(text, base_dir=tmp_path))).run_once()  # a restart: new clients

    assert again.ingested[0].error is None and again.ingested[0].new == 0
    requests = fixture_server.requests_to("/feed.xml")
    assert "if-none-match" not in requests[0].headers
    assert requests[1].headers.get("if-none-match") == '"v1"'
