"""Loading watchlists: files, folders, inline lists, the errors a user sees, hot reload, the shipped example."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from listener.config.alerting import AlertingConfig, Route, Tiers
from listener.config.yamlio import parse_yaml
from listener.errors import ConfigError
from listener.triage.watchlists import WatchlistReloader, load_watchlists

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "watchlists"


def error_of(spec: str | Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_watchlists(spec, FIXTURES)
    return caught.value


def test_shipped_example_loads_and_matches() -> None:
    watchlists = load_watchlists("watchlists/brands.yaml", REPO)
    assert len(watchlists) >= 3
    operator = watchlists.get("truemove-network")
    assert operator is not None and operator.route.channel and operator.route.mentions
    found = [m.watchlist.name for m in watchlists.match("ทรูมูฟ สัญญาณหายทั้งวัน", "pantip-phones-and-telecom")]
    assert found[:2] == ["truemove-network", "truemove-outage"]


def test_whole_shipped_folder_loads() -> None:
    assert len(load_watchlists("watchlists", REPO)) >= 3


def test_folder_loads_yaml_and_yml_files_in_name_order() -> None:
    watchlists = load_watchlists("folder", FIXTURES)
    assert [w.name for w in watchlists] == ["operator", "delivery", "delivery-zh"]
    assert watchlists.get("delivery-zh").terms.zh == ("外卖",)  # type: ignore[union-attr]


def test_defaults_apply_to_omitted_keys() -> None:
    operator = load_watchlists("folder/10-operator.yaml", FIXTURES).get("operator")
    assert operator is not None
    assert (operator.priority, operator.sources, operator.min_complaint, operator.route.channel) == (1.0, None, 0, None)
    assert operator.tiers.severity_of(0.7) == "high"


def test_alerting_section_supplies_default_route_and_tiers() -> None:
    alerting = AlertingConfig(default_tiers=Tiers(watch=0.2, high=0.3, critical=0.4),
                              default_route=Route(channel="#care-all"))
    watchlists = load_watchlists("watchlists/brands.yaml", REPO, alerting=alerting)
    zh = watchlists.get("lineman-zh")  # sets a route but no tiers
    assert zh is not None and zh.tiers.severity_of(0.35) == "high" and zh.route.channel == "#care-delivery-zh"
    operator = watchlists.get("truemove-network")  # sets both
    assert operator is not None and operator.tiers.severity_of(0.35) is None
    operator = load_watchlists("folder", FIXTURES, alerting=alerting).get("operator")  # sets neither
    assert operator is not None and operator.route.channel == "#care-all"


def test_bad_yaml_syntax_names_file_and_line() -> None:
    error = error_of("bad/syntax.yaml")
    assert error.file.endswith("syntax.yaml") and error.line in (4, 5)
    assert "syntax.yaml:" in str(error) and "invalid YAML" in str(error)


def test_unknown_key_names_file_line_key_and_valid_keys() -> None:
    error = error_of("bad/unknown_key.yaml")
    assert error.file.endswith("unknown_key.yaml")
    assert error.line == 6
    assert error.key == "watchlists[1].exlcude"
    assert "valid keys" in str(error) and "exclude" in str(error) and "terms" in str(error)


def test_unknown_key_in_a_nested_section_lists_that_sections_keys() -> None:
    doc = parse_yaml("watchlists:\n  - name: a\n    terms: [x]\n    route:\n      chanel: '#care'\n", "config.yaml")
    with pytest.raises(ConfigError) as caught:
        load_watchlists(doc.data["watchlists"], located=doc)
    assert str(caught.value).startswith("config.yaml:5: watchlists[0].route.chanel: unknown key; valid keys:")
    assert "channel" in str(caught.value) and "quiet_hours" in str(caught.value)


def test_wrong_type_names_line_key_and_value() -> None:
    error = error_of("bad/wrong_type.yaml")
    assert (error.line, error.key) == (4, "watchlists[0].priority")
    assert "'high'" in str(error)


def test_duplicate_name_is_refused_with_both_places() -> None:
    error = error_of("bad/duplicate.yaml")
    assert (error.line, error.key) == (6, "watchlists[2].name")
    assert "duplicate watchlist name 'operator'" in str(error) and "duplicate.yaml:2" in str(error)


def test_duplicate_name_across_files_in_a_folder(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "folder" / "10-operator.yaml", tmp_path / "a.yaml")
    shutil.copy(FIXTURES / "folder" / "10-operator.yaml", tmp_path / "b.yaml")
    with pytest.raises(ConfigError, match="duplicate watchlist name 'operator'") as caught:
        load_watchlists(tmp_path)
    assert caught.value.file.endswith("b.yaml") and "a.yaml:2" in str(caught.value)


def test_unparsable_query_is_refused() -> None:
    error = error_of("bad/bad_query.yaml")
    assert (error.line, error.key) == (3, "watchlists[0].query")
    assert "cannot parse query" in str(error) and "not closed" in str(error)


@pytest.mark.parametrize("entry, problem", [
    ("{name: a}", "needs `terms` or a `query`"),
    ("{name: a, query: 'NOT \"x\"'}", "at least one term outside NOT"),
    ("{name: a, query: '\"x\" \"y\"'}", "missing AND/OR"),
    ("{name: a, query: '(\"a\" AND \"b\") NEAR/3 \"c\"'}", "NEAR"),
    ("{name: a, terms: ['!!!']}", "no letters or digits"),
    ("{name: a, terms: [x], tiers: {watch: 0.9, high: 0.5}}", "watch <= high"),
])
def test_invalid_watchlists_are_explained(entry: str, problem: str) -> None:
    doc = parse_yaml(f"alerting: {{}}\nwatchlists:\n  - {entry}\n", "config.yaml")
    with pytest.raises(ConfigError, match=problem.replace("(", r"\(").replace("`", ".")) as caught:
        load_watchlists(doc.data["watchlists"], located=doc)
    assert caught.value.file == "config.yaml" and caught.value.line == 3


def test_missing_path_is_reported() -> None:
    assert "not found" in str(error_of("no-such-folder"))


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    # Move the mtime on explicitly, so two writes within the file system's clock tick still differ.
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def test_hot_reload_swaps_in_a_good_edit(tmp_path: Path) -> None:
    file = tmp_path / "brands.yaml"
    write(file, "watchlists:\n  - name: operator\n    terms: [TrueMove]\n")
    reloader = WatchlistReloader("brands.yaml", tmp_path)
    assert reloader.reload_if_changed() is False
    write(file, "watchlists:\n  - name: operator\n    terms: [TrueMove, dtac]\n")
    assert reloader.reload_if_changed() is True
    assert [m.watchlist.name for m in reloader.current.match("dtac down")] == ["operator"]


def test_hot_reload_keeps_last_good_set_on_a_bad_edit(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path / "a.yaml", "watchlists:\n  - name: operator\n    terms: [TrueMove]\n")
    reloader = WatchlistReloader(tmp_path)
    write(tmp_path / "a.yaml", "watchlists:\n  - name: operator\n    terms: [TrueMove]\n    priorty: 2\n")
    with caplog.at_level(logging.ERROR):
        assert reloader.reload_if_changed() is False
    assert "a.yaml:4" in caplog.text and "priorty" in caplog.text and "last good" in caplog.text
    assert reloader.last_error is not None
    assert [m.watchlist.name for m in reloader.current.match("TrueMove is down")] == ["operator"]
    caplog.clear()
    assert reloader.reload_if_changed() is False and caplog.text == ""  # reported once, not every poll
    write(tmp_path / "b.yaml", "watchlists:\n  - name: delivery\n    terms: [LINE MAN]\n")
    write(tmp_path / "a.yaml", "watchlists:\n  - name: operator\n    terms: [AIS]\n")
    assert reloader.reload_if_changed() is True and reloader.last_error is None
    assert [w.name for w in reloader.current] == ["operator", "delivery"]


def test_inline_watchlists_never_reload() -> None:
    doc = parse_yaml("watchlists:\n  - name: a\n    terms: [x]\n", "config.yaml")
    reloader = WatchlistReloader(doc.data["watchlists"], located=doc)
    assert len(reloader.current) == 1 and reloader.reload_if_changed() is False
