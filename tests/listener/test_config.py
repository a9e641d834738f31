"""Config validation: the shipped file loads; mistakes name the file, line and key, and `check` exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.cli import main
from listener.config import load_config, parse_config_text
from listener.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_loads_with_its_sources_and_watchlists(capsys) -> None:
    loaded = load_config(ROOT / "config.yaml")
    kinds = {s.kind for s in loaded.config.sources}
    assert {"pantip", "rss"} <= kinds
    assert loaded.storage_url.startswith("sqlite:///") and loaded.storage_url.endswith("var/fangsiang.db")
    assert main(["--config", str(ROOT / "config.yaml"), "check"]) == 0
    out = capsys.readouterr().out
    assert "pantip-phones-and-telecom (pantip, every 5m)" in out
    assert "truemove-network -> #care-truemove" in out


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, file="bad.yaml")
    return caught.value


def test_unknown_top_level_key_lists_the_valid_ones() -> None:
    error = _error("storage:\n  url: sqlite:///x.db\nslak:\n  token_env: X\n")
    assert (error.file, error.line, error.key) == ("bad.yaml", 3, "slak")
    assert "valid keys are" in str(error) and "slack" in str(error)


def test_unknown_nested_key_names_its_line() -> None:
    error = _error("alerting:\n  default_channel: '#a'\n  cooldown_minute: 5\n")
    assert (error.line, error.key) == (3, "alerting.cooldown_minute")
    assert "cooldown_minutes" in str(error)


def test_unknown_source_kind_lists_the_valid_kinds() -> None:
    error = _error("sources:\n  - name: a\n    kind: pantipp\n")
    assert (error.line, error.key) == (3, "sources[0].kind")
    assert "pantip" in str(error) and "rss" in str(error)


def test_unknown_source_option_is_an_error() -> None:
    error = _error("sources:\n  - name: a\n    kind: rss\n    options:\n      url: [x]\n")
    assert (error.line, error.key) == (5, "sources[0].options.url")
    assert "urls" in str(error)


def test_wrong_type_and_bad_duration_are_errors() -> None:
    assert _error("alerting:\n  cooldown_minutes: soon\n").key == "alerting.cooldown_minutes"
    error = _error("sources:\n  - name: a\n    kind: rss\n    schedule: {every: fortnight}\n")
    assert error.key.startswith("sources[0].schedule") and "duration" in str(error)


def test_duplicate_source_names_are_an_error() -> None:
    text = "sources:\n  - {name: a, kind: rss}\n  - {name: a, kind: rss}\n"
    assert (_error(text).line, _error(text).key) == (3, "sources[1].name")


def test_broken_yaml_names_the_line_and_check_exits_2(tmp_path, capsys) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("storage:\n  url: [unclosed\nsources: []\n", encoding="utf-8")
    assert main(["--config", str(bad), "check"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "invalid YAML" in err
