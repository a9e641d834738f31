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


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("scheduler: {timezone: Asia/Bankok}\n", "scheduler.timezone", "time zone"),
    ("alerting: {timezone: America}\n", "alerting.timezone", "time zone"),
    ("alerting:\n  default_route:\n    quiet_hours: {start: '23:00', end: '07:00', tz: 'Mars/Olympus'}\n",
     "alerting.default_route.quiet_hours.tz", "time zone"),
    ("sources:\n  - name: a\n    kind: rss\n    schedule: {cron: '61 * * * *'}\n", "sources[0].schedule.cron", "59"),
    ("sources:\n  - name: a\n    kind: rss\n    schedule: {cron: '0 9 * * someday'}\n", "sources[0].schedule.cron",
     "cron"),
    ("alerting:\n  default_route: {mentions: ['@somsri']}\n", "alerting.default_route.mentions", "user id"),
])
def test_what_run_would_refuse_is_refused_by_check(tmp_path: Path, capsys, text: str, key: str,
                                                   problem: str) -> None:
    error = _error(text)
    assert error.key.startswith(key) and problem in str(error), str(error)
    config = tmp_path / "config.yaml"
    config.write_text(text + "watchlists: []\n", encoding="utf-8")
    assert main(["--config", str(config), "check"]) == 2
    assert f"{config}:" in capsys.readouterr().err


def test_watchlist_mentions_must_be_slack_ids(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("watchlists:\n  - name: a\n    terms: [x]\n    route: {mentions: [S012TRUECARE, care-team]}\n",
                      encoding="utf-8")
    assert main(["--config", str(config), "check"]) == 2
    err = capsys.readouterr().err
    assert f"{config}:4: watchlists[0].route.mentions[1]:" in err and "care-team" in err


def test_check_never_prints_any_part_of_a_database_password(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("storage: {url: 'postgresql+psycopg://care:s3cr@t@p4ss@db.internal:5432/fangsiang'}\n"
                      "watchlists: []\n", encoding="utf-8")
    assert main(["--config", str(config), "check"]) == 0
    out = capsys.readouterr().out
    assert "storage: postgresql+psycopg://***@db.internal:5432/fangsiang" in out
    assert not any(part in out for part in ("s3cr", "t@p4ss", "p4ss", "care:"))
