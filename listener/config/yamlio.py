"""Read YAML and remember the line of every key, so validation errors can say `file:line: key: problem`.

This module is the one place PyYAML is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from listener.errors import ConfigError

KeyPath = tuple[str | int, ...]


@dataclass
class LocatedYaml:
    """Plain data (dicts, lists, scalars) plus the 1-based line where each key path starts."""

    data: Any
    file: str
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def load_yaml(path: str | Path) -> LocatedYaml:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read file ({exc.strerror})", file=str(path)) from exc
    return parse_yaml(text, str(path))


def parse_yaml(text: str, file: str = "<string>") -> LocatedYaml:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML: {problem}", file=file, line=line) from exc
    located = LocatedYaml(data=None, file=file)
    if node is None:
        located.data = {}
        return located
    located.lines[()] = node.start_mark.line + 1
    located.data = _convert(node, (), located.lines, file)
    return located


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _convert(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], file: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            child = (*path, key)
            if key in result:
                raise ConfigError("duplicate key", file=file, line=key_node.start_mark.line + 1,
                                  key=_dotted(child))
            lines[child] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, child, lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(_convert(item, (*path, index), lines, file))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader(stream="").construct_object(node, deep=True)


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def dotted(path: KeyPath) -> str:
    """`("sources", 0, "kind")` -> `sources[0].kind`, the form errors use."""
    return _dotted(path)
