"""Environment overrides for config.yaml: `FANGSIANG_<SECTION>__<KEY>=value` replaces `section.key`, so one
file serves every machine and a container needs no edited copy.

`__` separates levels (`FANGSIANG_STORAGE__URL`, `FANGSIANG_METRICS__PORT`, `FANGSIANG_ALERTING__OPS_CHANNEL`,
`FANGSIANG_SOURCES__0__ENABLED`: list items by index); a top-level key needs none (`FANGSIANG_LOG_LEVEL`). Names
are case-insensitive. Values are read as YAML, like the file: `9500` is a number, `false` a boolean, `[a, b]` a
list; text YAML reads as nothing (`#care`, a channel) stays text. Only variables whose first part names a
top-level config key count, so `FANGSIANG_SLACK_TOKEN`, `FANGSIANG_CONFIG` and other settings of the same
prefix are never mistaken for overrides.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Mapping

from listener.config.yamlio import KeyPath, parse_yaml
from listener.errors import ConfigError

PREFIX = "FANGSIANG_"
SEPARATOR = "__"
log = logging.getLogger(__name__)


def apply_env_overrides(data: dict[str, Any], environ: Mapping[str, str],
                        top_level: Iterable[str]) -> dict[KeyPath, str]:
    """Write every override into `data` (in place); returns each overridden key path and its variable."""
    keys = set(top_level)
    applied: dict[KeyPath, str] = {}
    for name in sorted(environ):
        if not name.upper().startswith(PREFIX):
            continue
        parts = name[len(PREFIX):].lower().split(SEPARATOR)
        if parts[0] not in keys or (len(parts) == 1 and SEPARATOR in name[len(PREFIX):]) or not all(parts):
            continue
        path: KeyPath = tuple(int(p) if p.isdigit() else p for p in parts)
        _set(data, path, _value(environ[name], name), name)
        applied[path] = name
        log.info("config: %s set from $%s", ".".join(map(str, path)), name)
    return applied


def _value(raw: str, name: str) -> Any:
    try:
        value = parse_yaml(raw, f"${name}").data if raw.strip() else ""
    except ConfigError as exc:
        raise ConfigError(f"not a valid YAML value: {exc.detail}", file=f"${name}") from None
    # "#care" is a YAML comment, so reads as nothing: a channel name is meant; only null/~ mean null
    nothing = value is None or value == {}  # parse_yaml reads an empty document as {}
    return raw if nothing and raw.strip().lower() not in ("null", "~", "{}") else value


def _set(data: Any, path: KeyPath, value: Any, name: str) -> None:
    node = data
    for depth, part in enumerate(path[:-1]):
        nxt = path[depth + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise ConfigError(f"there is no item {part} to override", file=f"${name}")
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"{part!r} is not a section", file=f"${name}")
        node = node.setdefault(part, [] if isinstance(nxt, int) else {})
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ConfigError(f"there is no item {last} to override", file=f"${name}")
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"{path[-2]!r} is not a section", file=f"${name}")
