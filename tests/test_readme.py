"""Every YAML example in the README is loaded the way the daemon loads it, so the docs cannot go stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from listener.config import parse_config_text
from listener.config.alerting import Route
from listener.config.yamlio import parse_yaml
from listener.triage.watchlists import load_watchlists

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", README, flags=re.S)


def test_readme_has_an_example_for_every_source_kind() -> None:
    from scrapers import REGISTRY

    kinds = set(re.findall(r"^\s+kind: (\w+)", "\n".join(BLOCKS), flags=re.M))
    assert set(REGISTRY) <= kinds


@pytest.mark.parametrize("block", BLOCKS, ids=[f"yaml-{i}" for i in range(len(BLOCKS))])
def test_readme_yaml_example_is_valid(block: str, tmp_path: Path) -> None:
    data = parse_yaml(block, "README.md").data
    if set(data) == {"route"}:
        Route.model_validate(data["route"])
        return
    loaded = parse_config_text(block, file="README.md", base_dir=tmp_path)
    if isinstance(data.get("watchlists"), list):
        assert len(load_watchlists(data["watchlists"], tmp_path)) == len(data["watchlists"])
    assert loaded.config is not None


def test_readme_commands_are_the_ones_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- install-command -->" in README and "<!-- test-command -->" in README
    assert "<!-- install-command -->" in ci and "<!-- test-command -->" in ci
