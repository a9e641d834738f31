"""The shipped JSON Schema is the one the pydantic models generate, config.yaml points editors at it, and it
accepts the shipped config and every README example while refusing an unknown key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from listener.cli import main
from listener.config.json_schema import config_schema, config_schema_text
from listener.config.yamlio import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config.schema.json"


def test_shipped_schema_matches_the_models() -> None:
    assert json.loads(SHIPPED.read_text(encoding="utf-8")) == config_schema(), \
        "regenerate it: fangsiang schema --output config.schema.json"


def test_fangsiang_schema_prints_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == config_schema_text()
    assert main(["schema", "--output", str(tmp_path / "s.json")]) == 0
    assert (tmp_path / "s.json").read_text(encoding="utf-8") == config_schema_text()


def test_config_yaml_names_the_schema_for_editors() -> None:
    first = (ROOT / "config.yaml").read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match and (ROOT / match[1]).resolve() == SHIPPED


def test_schema_accepts_the_shipped_config_and_readme_examples() -> None:
    schema = config_schema()
    jsonschema.validate(parse_yaml((ROOT / "config.yaml").read_text(encoding="utf-8")).data, schema)
    for block in re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S):
        data = parse_yaml(block).data
        if "route" not in data:
            jsonschema.validate(data, schema)


@pytest.mark.parametrize("bad", [
    {"storage": {"uri": "sqlite://"}},
    {"sources": [{"name": "p", "kind": "pantip", "options": {"room": ["mbk"]}}]},
    {"sources": [{"name": "p", "kind": "no-such-kind"}]},
    {"metrics": {"port": "nine"}},
])
def test_schema_refuses_what_the_loader_refuses(bad: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, config_schema())
