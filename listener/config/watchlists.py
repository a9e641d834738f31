"""Typed schema of watchlists and its validation into `file:line: key: problem` errors.

Reads the `watchlists:` list of a watchlist file (or of config.yaml, inline). Keys of one watchlist: `name`,
`description`, `enabled`, `priority`, `terms`, `exclude`, `query`, `sources`, `min_complaint`, `route`
(an alerting `Route`; unset: `alerting.default_route`), `tiers` (an alerting `Tiers`; unset:
`alerting.default_tiers`), `spread` (an alerting `Spread`, or null for none; unset: `alerting.default_spread`)
and `cues`.
`terms`, `exclude` and `cues` are either a flat list or lists per language: `th`, `en`, `zh`, `any`.
The language keys only organise the file; how a term is matched follows from its script
(see `listener.triage.matching`).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator

from listener.config.alerting import AlertingConfig, Route, Spread, Strict, Tiers
from listener.config.yamlio import KeyPath, LocatedYaml, dotted
from listener.errors import ConfigError
from listener.triage.matching import compile_term
from listener.triage.query import QueryError, all_terms, parse_query


def _has_letters(term: str) -> str:
    if compile_term(term) is None:
        raise ValueError(f"term {term!r} has no letters or digits to match on")
    return term


TermText = Annotated[str, AfterValidator(_has_letters)]


class Terms(Strict):
    """Terms per language; a flat list in YAML lands in `any`. Synonyms and aliases are just more terms."""

    th: tuple[TermText, ...] = ()
    en: tuple[TermText, ...] = ()
    zh: tuple[TermText, ...] = ()
    any: tuple[TermText, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _flat_list(cls, value: Any) -> Any:
        return {"any": value} if isinstance(value, list) else value

    def all(self) -> tuple[str, ...]:
        """Every term once, in file order."""
        return tuple(dict.fromkeys((*self.th, *self.en, *self.zh, *self.any)))


class Watchlist(Strict):
    """One watchlist: which posts are about a topic, how much they weigh, and where their alerts go."""

    name: str = Field(min_length=1)
    description: str = ""
    enabled: bool = True
    priority: float = Field(1.0, ge=0, le=10)  # multiplies the risk of posts it matches
    terms: Terms = Terms()
    exclude: Terms = Terms()  # any of these in a post vetoes the watchlist for that post
    query: str | None = None  # boolean query; with `terms` too, both must hold
    sources: tuple[str, ...] | None = Field(None, min_length=1)  # source names; unset: every source
    min_complaint: float = Field(0.0, ge=0, le=1)  # below this complaint probability (and no cue): no alert
    route: Route = Route()
    tiers: Tiers = Tiers()
    spread: Spread | None = Spread()  # when the growth forecast alone lifts an incident's tier
    cues: Terms = Terms()  # extra escalation phrases for this topic, on top of the model's own

    @field_validator("query")
    @classmethod
    def _parsable(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                node = parse_query(value)
            except QueryError as exc:
                raise ValueError(f"cannot parse query: {exc}") from None
            for term in all_terms(node):
                _has_letters(term)
        return value

    @model_validator(mode="after")
    def _selects_something(self) -> "Watchlist":
        if not self.terms.all() and self.query is None:
            raise ValueError("a watchlist needs `terms` or a `query`")
        return self


class WatchlistFile(Strict):
    watchlists: list[Watchlist]


@dataclass(frozen=True)
class PlacedWatchlist:
    """A validated watchlist and where it was written, for errors found later (duplicate names)."""

    watchlist: Watchlist
    file: str
    line: int | None
    key: str


def validate_watchlists(located: LocatedYaml, data: Any = None, prefix: KeyPath = ()) -> list[PlacedWatchlist]:
    """Validate a watchlist list; return each watchlist with the place of its `name`.

    File mode (`prefix` empty): `located.data` must be a mapping with a `watchlists:` list. Inline mode:
    `data` is the list found at `prefix` (e.g. `("watchlists",)`) of the main config in `located`.
    """
    root = located.data if not prefix else {"watchlists": data}
    try:
        parsed = WatchlistFile.model_validate(root)
    except ValidationError as exc:
        raise _config_error(exc, located, prefix) from None
    placed = []
    for i, watchlist in enumerate(parsed.watchlists):
        path = _key_path(("watchlists", i, "name"), prefix)
        placed.append(PlacedWatchlist(watchlist, located.file, located.line_of(path), dotted(path)))
    return placed


def _key_path(loc: KeyPath, prefix: KeyPath) -> KeyPath:
    """Where a validation `loc` (rooted at `watchlists`) lives in the YAML document."""
    return (*prefix, *loc[1:]) if prefix else loc


def with_alerting_defaults(watchlist: Watchlist, alerting: AlertingConfig | None) -> Watchlist:
    """Fill `route`, `tiers` and `spread` the file leaves out from the `alerting:` section of config.yaml."""
    if alerting is None:
        return watchlist
    update: dict[str, Any] = {}
    if "route" not in watchlist.model_fields_set:
        update["route"] = alerting.default_route
    if "tiers" not in watchlist.model_fields_set:
        update["tiers"] = alerting.default_tiers
    if "spread" not in watchlist.model_fields_set:
        update["spread"] = alerting.default_spread
    return watchlist.model_copy(update=update) if update else watchlist


def check_unique(entries: list[PlacedWatchlist]) -> None:
    """Refuse two watchlists with one name: alerts, incidents and Slack threads are keyed by it."""
    seen: dict[str, PlacedWatchlist] = {}
    for entry in entries:
        first = seen.setdefault(entry.watchlist.name, entry)
        if first is not entry:
            raise ConfigError(f"duplicate watchlist name {entry.watchlist.name!r} (first defined at "
                              f"{first.file}:{first.line})", file=entry.file, line=entry.line, key=entry.key)


def _config_error(exc: ValidationError, located: LocatedYaml, prefix: KeyPath) -> ConfigError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc: KeyPath = tuple(first["loc"])
    path = _key_path(loc, prefix)
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        valid = _valid_keys(loc[:-1])
        message = "unknown key" + (f"; valid keys: {', '.join(valid)}" if valid else "")
    elif first["type"] == "missing":
        message = "required key is missing"
    elif "input" in first and not isinstance(first["input"], (dict, list)):
        message += f" (got {first['input']!r})"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ConfigError(message, file=located.file, line=located.line_of(path), key=dotted(path))


def _valid_keys(loc: KeyPath) -> list[str]:
    """The keys allowed in the mapping at `loc`, found by walking the schema."""
    model: type[BaseModel] | None = WatchlistFile
    for part in loc:
        if isinstance(part, int) or model is None:
            continue  # a list index: the item's model was already unwrapped from the field type
        field = model.model_fields.get(part)
        model = _inner_model(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside `X`, `X | None`, `list[X]` or `tuple[X, ...]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found:
                return found
    return None
