"""`fangsiang console` as a real process: serves the pages of a database read-only and stops on SIGTERM."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from listener.store import Store
from tests.console.seed import seeded_world
from tests.process_helpers import reaped, stop, wait_for


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.read().decode()
    except OSError:
        return None


def test_console_alone_reads_a_database_and_refuses_changes(tmp_path: Path) -> None:
    Store(f"sqlite:///{tmp_path}/t.db").migrate()  # as the daemon would have left it
    seeded_world(tmp_path)  # writes tmp_path/t.db
    config = tmp_path / "config.yaml"
    config.write_text(f'storage: {{url: "sqlite:///{tmp_path}/t.db"}}\nwatchlists: []\n', encoding="utf-8")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "listener.cli", "--config", str(config), "console",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    with reaped(process):
        if not wait_for(lambda: _get(base + "/") is not None or process.poll() is not None, timeout=240) \
                or process.poll() is not None:
            process.kill()
            pytest.fail(f"the console did not come up: {process.communicate()[0]}")
        page = _get(base + "/incidents/1") or ""
        assert "เน็ตล่มทั้งวัน" in page and "read-only" in page and "Acknowledge" not in page
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with opener.open(base + "/try", timeout=5) as answer:  # the one form a read-only console keeps
            token = re.search(r'name="csrftoken" value="([^"]+)"', answer.read().decode()).group(1)  # type: ignore[union-attr]
        body = urllib.parse.urlencode({"csrftoken": token, "scope": "all"}).encode()
        try:
            opener.open(base + "/outbox/resend", data=body, timeout=5)
            refused = None
        except urllib.error.HTTPError as exc:
            refused = exc.code
        assert refused == 403
        output = stop(process, timeout=30)
    assert process.returncode == 0, output
    assert f"console on http://127.0.0.1:{port} (read-only)" in output
