"""Read YAML and remember the line of every key, so validation errors can say `file:line: key: problem`.

This module is the one place PyYAML is imported. Config and watchlist files are trusted to be edited by
people, not to be well-behaved, so every read is bounded before anything is built from it:

- size: at most `MAX_BYTES` per file;
- depth: at most `MAX_DEPTH` nested mappings/sequences (checked on the event stream, before PyYAML's
  recursive composer sees the document);
- aliases: at most `MAX_ALIASES` uses of anchors, no alias inside its own anchor, and at most `MAX_VALUES`
  values once aliases are expanded (a "billion laughs" file stays a few hundred bytes until expanded);
- tags: only plain YAML values (strings, numbers, booleans, null, dates, lists, mappings); `!!python/...`,
  `!!binary` and custom `!tags` are refused.

Every problem is a `ConfigError` with the file and line; nothing here lets another exception out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from listener.errors import ConfigError

KeyPath = tuple[str | int, ...]
MAX_BYTES = 262_144  # a large watchlist file is tens of kilobytes; PyYAML reads ~100 KB/s on a busy core
MAX_DEPTH = 64  # our deepest schema nests 6 levels
MAX_ALIASES = 1_000
MAX_VALUES = 200_000  # values after alias expansion
_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset(_CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map"))
ALLOWED_TAGS |= {"!"}  # the non-specific tag of a quoted scalar
# libyaml's parser when PyYAML was built with it (about 15x faster); the pure-Python one otherwise.
_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENERS = re.compile(r"[\[{]")
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass
class LocatedYaml:
    """Plain data (dicts, lists, scalars) plus the 1-based line where each key path starts."""

    data: Any
    file: str
    lines: dict[KeyPath, int] = field(default_factory=dict)
    origins: dict[KeyPath, str] = field(default_factory=dict)  # key path -> environment variable that set it

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
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read file ({exc.strerror})", file=str(path)) from exc
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"file is larger than {MAX_BYTES:,} bytes; split it into several files", file=str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("not valid UTF-8 text (save the file as UTF-8)", file=str(path),
                          line=raw[:exc.start].count(b"\n") + 1) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, file: str = "<string>") -> LocatedYaml:
    if len(text) > MAX_BYTES:
        raise ConfigError(f"document is larger than {MAX_BYTES:,} characters", file=file)
    try:
        _check_events(text, file)
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, file) from None
    located = LocatedYaml(data=None, file=file)
    if node is None:
        located.data = {}
        return located
    _check_expansion(node, file)
    located.lines[()] = node.start_mark.line + 1
    located.data = _Converter(file, located.lines).convert(node, ())
    return located


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _syntax_error(exc: yaml.YAMLError, file: str) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    return ConfigError(f"invalid YAML: {problem}", file=file, line=line)


def _check_events(text: str, file: str) -> None:
    """Depth, alias count and tags, from PyYAML's event stream (its parser is iterative, its composer is not)."""
    _check_bracket_lines(text, file)
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_LOADER):
        line = event.start_mark.line + 1
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in ALLOWED_TAGS:
            raise ConfigError(f"tag {_short(tag)} is not allowed: only plain YAML values (text, numbers, "
                              "true/false, dates, lists, mappings)", file=file, line=line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(f"nested deeper than {MAX_DEPTH} levels", file=file, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ConfigError(f"more than {MAX_ALIASES} aliases (*name)", file=file, line=line)


def _check_bracket_lines(text: str, file: str) -> None:
    """Refuse a line whose brackets nest deeper than `MAX_DEPTH`, before PyYAML scans it.

    PyYAML's Python scanner re-examines every still-open bracket of the current line for each token it
    reads, so a line such as `[a,[a,[a,…` 20,000 deep costs it seconds before the first event arrives. Brackets inside
    quotes are counted too: more than 64 of them unclosed on one line is no real config.
    """
    for number, line in enumerate(text.splitlines(), 1):
        if len(_OPENERS.findall(line)) <= MAX_DEPTH:
            continue
        depth = 0
        for bracket in _BRACKETS.finditer(line):
            char = bracket.group()
            if char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfigError(f"nested deeper than {MAX_DEPTH} levels", file=file, line=number)
            elif char in "]}":
                depth = max(0, depth - 1)


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse an alias inside its own anchor, and documents that aliases expand past `MAX_VALUES` values.

    Sizes are counted once per node (anchored nodes are shared), so this is linear in the file, not in
    the expansion. Iterative: the depth is bounded already, but a shared node may be reached many ways.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        ident = id(node)
        if children_done:
            on_path.discard(ident)
            size[ident] = 1 + sum(size[id(child)] for child in _children(node))
            if size[ident] > MAX_VALUES:
                raise ConfigError(f"aliases expand this to more than {MAX_VALUES:,} values (a YAML bomb?)",
                                  file=file, line=node.start_mark.line + 1)
            continue
        if ident in size:
            continue
        on_path.add(ident)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise ConfigError("an alias refers to itself (recursive anchor)", file=file,
                                  line=child.start_mark.line + 1)
            if id(child) not in size:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _Converter:
    """Turn composed nodes into plain data, noting the line of every key path."""

    def __init__(self, file: str, lines: dict[KeyPath, int]) -> None:
        self.file, self.lines = file, lines
        self._constructor = yaml.SafeLoader(stream="")  # per document: it caches what it built

    def convert(self, node: yaml.Node, path: KeyPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.convert(item, (*path, index)))
            return items
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError("a key must be a plain value, not a list or mapping", file=self.file,
                                  line=line, key=_dotted(path))
            if key_node.tag == _CORE + "merge":
                raise ConfigError("merge keys (<<) are not supported; use an alias for the whole value",
                                  file=self.file, line=line, key=_dotted(path))
            key = self._scalar(key_node)
            child = (*path, key)
            if key in result:
                raise ConfigError("duplicate key", file=self.file, line=line, key=_dotted(child))
            self.lines[child] = line
            result[key] = self.convert(value_node, child)
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:  # e.g. 2001-02-30 read as a date
            problem = "not a valid date" if node.tag == _CORE + "timestamp" else f"unreadable value ({exc})"
            raise ConfigError(f"{problem}: {node.value!r} (quote it to keep it as text)", file=self.file,
                              line=node.start_mark.line + 1) from None


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def dotted(path: KeyPath) -> str:
    """`("sources", 0, "kind")` -> `sources[0].kind`, the form errors use."""
    return _dotted(path)
