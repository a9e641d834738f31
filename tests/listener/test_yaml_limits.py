"""Hostile YAML: bombs, recursive aliases, deep nesting, Python tags and oversized files are refused with
`file:line: problem` (exit 2 from `check` and at start), never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alerts.slack import SlackNotifier
from listener.app import build
from listener.cli import main
from listener.config import parse_config_text
from listener.config.yamlio import MAX_BYTES, MAX_DEPTH, load_yaml, parse_yaml
from listener.errors import ConfigError
from listener.pipeline import Pipeline
from listener.triage.watchlists import load_watchlists
from tests.listener.test_watchlists_loading import write
from tests.slack_server import SlackTestServer

REPO = Path(__file__).resolve().parents[2]

BILLION_LAUGHS = "\n".join(
    ["watchlists:", "  - name: bomb", '    terms: ["lol"]', "    description: &a0 lol"]
    + [f"    x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    + ["    cues: [*a9]"]) + "\n"

HOSTILE = {
    "billion laughs": (BILLION_LAUGHS, "aliases", range(5, 15)),
    "recursive alias": ("watchlists:\n  - name: loop\n    terms: &t [*t]\n", "refers to itself", 3),
    "python object tag": ("watchlists:\n  - name: x\n    terms: !!python/object/apply:os.system [\"true\"]\n",
                          "tag", 3),
    "python tag on a scalar": ("watchlists:\n  - name: !!python/name:os.system x\n", "tag", 2),
    "custom tag": ("watchlists:\n  - name: x\n    terms: !include other.yaml\n", "tag", 3),
    "20,000-deep nesting": ("watchlists:\n  - name: deep\n    terms: " + "[" * 20000 + "]" * 20000 + "\n",
                            "deeper", 3),
    "deep block nesting": ("watchlists:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 200)) + " " * 200 + "v\n",
                           "deeper", range(60, 70)),
    "impossible date": ("watchlists:\n  - name: x\n    terms: [a]\n    description: 2001-02-30\n", "date", 4),
    "list as a key": ("watchlists:\n  - name: x\n    ? [a, b]\n    : 1\n", "key", 3),
    "bad base64": ("watchlists:\n  - name: x\n    description: !!binary '%%%'\n", "tag", 3),
}


@pytest.mark.parametrize(("text", "problem", "line"), HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_yaml_is_a_config_error_with_its_line(text: str, problem: str, line: int | range) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "brands.yaml")
    error = caught.value
    assert error.file == "brands.yaml" and error.line in (line if isinstance(line, range) else [line]), str(error)
    assert problem in str(error)


def test_limits_leave_ordinary_files_alone() -> None:
    nested = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, MAX_DEPTH - 2)) + "  " * (MAX_DEPTH - 2) + "v\n"
    assert parse_yaml(nested).data["a"]["k1"]["k2"]
    anchors = "route: &r {channel: '#care'}\nwatchlists:\n" + "".join(
        f"  - {{name: w{i}, terms: [t{i}], route: *r}}\n" for i in range(50))
    assert len(parse_yaml(anchors).data["watchlists"]) == 50
    assert parse_yaml("when: 2024-01-15\n").data["when"].year == 2024  # a real date is still a date


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("watchlists:\n" + "#" * (MAX_BYTES + 10) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_yaml(big)
    assert caught.value.file == str(big) and "larger than" in str(caught.value)


def test_undecodable_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "latin.yaml"
    bad.write_bytes(b"watchlists:\n  - name: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_watchlists(bad.name, tmp_path)
    assert "UTF-8" in str(caught.value) and caught.value.line == 2


def _config_with(tmp_path: Path, watchlist_text: str) -> Path:
    (tmp_path / "watchlists").mkdir()
    (tmp_path / "watchlists" / "brands.yaml").write_text(watchlist_text, encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"storage: {{url: 'sqlite:///{tmp_path}/f.db'}}\nmetrics: {{enabled: false}}\n"
                      "watchlists: watchlists/\n", encoding="utf-8")
    return config


@pytest.mark.parametrize("name", ["billion laughs", "recursive alias", "python object tag", "20,000-deep nesting"])
@pytest.mark.parametrize("command", ["check", "once"])
def test_check_and_start_exit_2_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   name: str, command: str) -> None:
    text, problem, line = HOSTILE[name]
    config = _config_with(tmp_path, text)
    assert main(["--config", str(config), command]) == 2
    err = capsys.readouterr().err
    lines = line if isinstance(line, range) else [line]
    assert any(f"brands.yaml:{n}:" in err for n in lines) and problem in err and "Traceback" not in err


def test_check_on_a_bomb_exits_2_in_a_real_process(tmp_path: Path) -> None:
    config = _config_with(tmp_path, HOSTILE["billion laughs"][0])
    # The timeout only stops a hung process from hanging the suite; the expansion limit is what is tested.
    done = subprocess.run([sys.executable, "-m", "listener.cli", "--config", str(config), "check"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 2 and "brands.yaml:" in done.stderr and "aliases" in done.stderr
    assert "Traceback" not in done.stderr


class _NoModel:
    """These tests score nothing: the daemon's reload path runs before any post is read."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the model was used ({name})")


def test_a_bomb_saved_under_a_running_daemon_is_refused_and_posted_to_ops_once(
        tmp_path: Path, slack_server: SlackTestServer) -> None:
    folder = tmp_path / "watchlists"
    folder.mkdir()
    write(folder / "brands.yaml", "watchlists:\n  - name: operator\n    terms: [TrueMove]\n")
    loaded = parse_config_text(f"storage: {{url: 'sqlite:///{tmp_path}/d.db'}}\nwatchlists: watchlists/\n"
                               "alerting: {ops_channel: '#ops', daily_summary_at: null}\n", base_dir=tmp_path)
    notifier = SlackNotifier(slack_server.token, base_url=slack_server.api_url, timeout=5)
    pipeline = Pipeline(build(loaded, notifier=notifier, backend=_NoModel()))

    write(folder / "brands.yaml", BILLION_LAUGHS)
    for _ in range(3):  # the scoring cycle keeps running; the refusal is posted once
        assert pipeline.score() == 0
        pipeline.dispatch()
    [notice] = [m["text"] for m in slack_server.messages("#ops")]
    assert "watchlist" in notice.lower() and "last good" in notice
    assert "brands.yaml:10" in str(slack_server.messages("#ops")[0]["blocks"])
    assert [m.watchlist.name for m in pipeline.parts.watchlists.current.match("TrueMove is down")] == ["operator"]

    write(folder / "brands.yaml", "watchlists:\n  - name: operator\n    terms: [TrueMove, dtac]\n")
    pipeline.score()
    pipeline.dispatch()
    texts = [m["text"] for m in slack_server.messages("#ops")]
    assert len(texts) == 2 and "live again" in texts[1]
