"""`fangsiang run --log-format json` as a real process: it says what it is loading before it loads it, every log
line is one JSON object, and /healthz and /readyz answer next to /metrics."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.listener.test_metrics import _free_port
from tests.process_helpers import reaped, stop, wait_for

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
slack: {{token_env: DAEMON_TEST_NO_TOKEN}}
metrics: {{enabled: true, host: 127.0.0.1, port: {port}}}
watchlists:
  - name: saifah-net
    terms: {{th: ["สายฟ้าเน็ต"]}}
"""


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())
    except OSError:
        return 0, {}


def test_daemon_announces_itself_logs_json_and_answers_probes(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "d.db", port=port), encoding="utf-8")
    daemon = subprocess.Popen([sys.executable, "-m", "listener.cli", "--config", str(config), "--log-format", "json",
                               "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with reaped(daemon):
        first = json.loads(daemon.stdout.readline())  # type: ignore[union-attr]
        assert first["level"] == "INFO" and "starting" in first["message"] and "loading" in first["message"]
        assert wait_for(lambda: _get(f"http://127.0.0.1:{port}/readyz")[0] == 200, timeout=120)
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert body == {"ready": True, "checks": {"database": "ok", "scheduler": "ok"}}
        assert _get(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "alive"})
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "fangsiang_alerts_sent_total" in metrics
        rest = stop(daemon, timeout=60)
    assert daemon.returncode == 0, rest
    lines = [json.loads(line) for line in rest.splitlines() if line.strip()]  # every line is JSON
    messages = [line["message"] for line in lines]
    assert any(m.startswith("model ready") or m.startswith("models ready") for m in messages)
    assert messages[-1] == "stopped" and all("time" in line and "logger" in line for line in lines)
