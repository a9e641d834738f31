"""`fangsiang silence add | list | expire` on the configured database."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.cli import main


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f'storage: {{url: "sqlite:///{tmp_path}/f.db"}}\nwatchlists: []\n', encoding="utf-8")
    return str(path)


def test_add_list_and_expire(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config, "silence", "add", "--watchlist", "acme", "--for", "2h",
                 "--comment", "known outage", "--by", "somsri"]) == 0
    assert "silence #1: watchlist acme until" in capsys.readouterr().out
    assert main(["--config", config, "silence", "add", "--thread", "pantip/4351", "--term", "สคบ."]) == 0
    capsys.readouterr()
    assert main(["--config", config, "silence", "list"]) == 0
    listing = capsys.readouterr().out
    assert "#1 active: watchlist acme" in listing and "by somsri (known outage); held back 0 alert(s)" in listing
    assert '#2 active: thread pantip/4351 · term "สคบ."' in listing
    assert main(["--config", config, "silence", "expire", "1", "7"]) == 1  # 7 does not exist
    out = capsys.readouterr().out
    assert "silence #1 ended" in out and "no silence #7" in out
    main(["--config", config, "silence", "list"])
    assert "#1 ended: watchlist acme" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--for", "2h"], "needs a watchlist, a thread or a term"),
    (["--watchlist", "acme", "--for", "soon"], "not a duration"),
    (["--thread", "4351"], "--thread is source/thread_id"),
])
def test_bad_silences_are_refused_with_a_reason(config: str, capsys: pytest.CaptureFixture[str], args: list[str],
                                                message: str) -> None:
    assert main(["--config", config, "silence", "add", *args]) == 2
    assert message in capsys.readouterr().out
