"""`fangsiang demo`: the whole pipeline, offline, on pages that ship with the package.

A local HTTP server on 127.0.0.1 serves `site/`: invented Pantip topics in the documented API shapes
(see `site/README.md`) and the real captured page of Pantip topic 30000000. The daemon runs every stage
once against it with a throw-away SQLite database and prints the alerts it sends (or sends them to a
Slack-compatible API given with --slack-url).
"""

from __future__ import annotations

import os
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).parent
SITE = HERE / "site"


class _SiteHandler(SimpleHTTPRequestHandler):
    """Serves `site/`: `/topic/42` -> `topic/42.html`; a `tid` query picks `<path>/<tid>.json`."""

    def translate_path(self, path: str) -> str:
        parts = urlsplit(path)
        target = SITE / parts.path.strip("/")
        tid = parse_qs(parts.query).get("tid")
        if tid:
            target = target / tid[0]
        for candidate in (target, target.with_suffix(".json"), target.with_suffix(".html"), target / "index.html"):
            if candidate.is_file():
                return str(candidate)
        return str(target)

    def log_message(self, format: str, *args: object) -> None:  # the demo prints alerts, not access logs
        pass


def serve_site() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_SiteHandler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def demo_config_text(base_url: str, db_path: str) -> str:
    return (HERE / "demo.yaml").read_text(encoding="utf-8").replace("BASE_URL", base_url).replace("DB_PATH", db_path)


def run_demo(slack_url: str | None = None) -> int:
    from alerts import REGISTRY as NOTIFIERS
    from listener.app import build
    from listener.config import parse_config_text
    from listener.pipeline import Pipeline

    server = serve_site()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="fangsiang-demo-") as scratch:
        loaded = parse_config_text(demo_config_text(base_url, f"{scratch}/demo.db"), file="demo.yaml",
                                   base_dir=Path(scratch))
        token = os.environ.get("FANGSIANG_SLACK_TOKEN", "xoxb-demo")
        notifier = (NOTIFIERS["slack"](token=token, base_url=slack_url) if slack_url else NOTIFIERS["console"]())
        print(f"fangsiang demo: captured pages served at {base_url}; alerts follow.\n")
        pipeline = Pipeline(build(loaded, notifier=notifier))
        report = pipeline.run_once()
        pipeline.parts.store.dispose()
    server.shutdown()
    print("\n" + _summary(report))
    return 0


def _summary(report) -> str:  # type: ignore[no-untyped-def]
    lines = ["demo summary:"]
    for result in report.ingested:
        lines.append(f"  source {result.source}: {result.new} new posts" + (f" (error: {result.error})" if result.error else ""))
    lines.append(f"  {report.scored} posts matched and scored, {report.evaluated} evaluated; dispatch: {report.dispatched}")
    return "\n".join(lines)
