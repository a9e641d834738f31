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


def _command_after(marker: str) -> str:
    lines = README.splitlines()
    return lines[lines.index(marker) + 1].strip()


def test_readme_commands_are_the_ones_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for marker in ("<!-- install-command -->", "<!-- run-command -->", "<!-- test-command -->"):
        assert marker in README and marker in ci


def test_install_and_run_are_two_commands_and_torch_comes_from_the_cpu_index() -> None:
    install, run = _command_after("<!-- install-command -->"), _command_after("<!-- run-command -->")
    assert "fangsiang run" not in install and "&&" not in install  # installing never starts the daemon
    assert run == "fangsiang run"
    torch = _command_after("<!-- torch-command -->")
    assert torch.startswith("pip install torch==") and torch.endswith("--index-url https://download.pytorch.org/whl/cpu")
    pinned = re.search(r'"torch==([\d.]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pinned and f"torch=={pinned[1]} " in torch  # the same build the extras pin


def test_readme_states_how_long_the_test_suite_takes() -> None:
    assert re.search(r"takes about \d+ minutes", README)
