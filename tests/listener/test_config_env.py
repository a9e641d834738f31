"""FANGSIANG_<SECTION>__<KEY> environment variables override config.yaml, as the README documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.config import load_config
from listener.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_environment_overrides_the_shipped_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANGSIANG_STORAGE__URL", "postgresql+psycopg://fangsiang@db/fangsiang")
    monkeypatch.setenv("FANGSIANG_METRICS__PORT", "9500")
    monkeypatch.setenv("fangsiang_alerting__ops_channel", "#ops-night")  # names are case-insensitive
    monkeypatch.setenv("FANGSIANG_SOURCES__0__ENABLED", "false")
    monkeypatch.setenv("FANGSIANG_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("FANGSIANG_SLACK_TOKEN", "xoxb-not-an-override")  # a secret of the same prefix, not a key
    monkeypatch.setenv("FANGSIANG_DATA", "/srv/data")
    loaded = load_config(ROOT / "config.yaml")
    config = loaded.config
    assert loaded.storage_url == "postgresql+psycopg://fangsiang@db/fangsiang"
    assert config.metrics.port == 9500 and config.alerting.ops_channel == "#ops-night"
    assert config.sources[0].enabled is False and config.sources[1].enabled is True
    assert config.log_level == "DEBUG"
    assert config.alerting.default_channel == "#social-listening"  # untouched keys keep the file's value


def test_a_bad_override_names_the_variable_not_a_line_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANGSIANG_METRICS__PORT", "nine")
    with pytest.raises(ConfigError) as caught:
        load_config(ROOT / "config.yaml")
    assert str(caught.value).startswith("$FANGSIANG_METRICS__PORT: metrics.port:")


def test_an_override_of_an_unknown_key_is_refused_like_a_typo_in_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANGSIANG_STORAGE__URI", "sqlite://")
    with pytest.raises(ConfigError) as caught:
        load_config(ROOT / "config.yaml")
    assert "$FANGSIANG_STORAGE__URI" in str(caught.value) and "valid keys are:" in str(caught.value)


def test_a_missing_list_item_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANGSIANG_SOURCES__99__ENABLED", "false")
    with pytest.raises(ConfigError, match=r"\$FANGSIANG_SOURCES__99__ENABLED: there is no item 99"):
        load_config(ROOT / "config.yaml")
