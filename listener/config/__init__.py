"""Load and validate config.yaml into typed objects. The one home of pydantic (with its sibling modules).

`load_config(path)` returns a `LoadedConfig`: the validated `Config`, each source's options validated
into its scraper's `Options` dataclass, and where the file lives (relative paths resolve against it).
Errors are `ConfigError`s naming the file, line and dotted key, and listing valid choices. `FANGSIANG_*`
environment variables override keys of the file (see `listener/config/env.py`); an error in one names it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from listener.config.env import apply_env_overrides
from listener.config.schema import Config, SourceConfig, parse_duration
from listener.config.yamlio import KeyPath, LocatedYaml, dotted, load_yaml, parse_yaml
from listener.errors import ConfigError

__all__ = ["Config", "ConfigError", "LoadedConfig", "load_config", "parse_config_text", "parse_duration"]


@dataclass
class LoadedConfig:
    config: Config
    file: str
    base_dir: Path
    source_options: dict[str, Any] = field(default_factory=dict)  # source name -> Options dataclass
    located: LocatedYaml | None = None

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path

    @property
    def storage_url(self) -> str:
        url = self.config.storage.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            return prefix + str(self.resolve(url.removeprefix(prefix)))
        return url


def load_config(path: str | Path) -> LoadedConfig:
    located = load_yaml(path)
    return _validate(located, Path(path).resolve().parent)


def parse_config_text(text: str, file: str = "<string>", base_dir: Path | None = None) -> LoadedConfig:
    return _validate(parse_yaml(text, file), base_dir or Path.cwd())


def _validate(located: LocatedYaml, base_dir: Path) -> LoadedConfig:
    if not isinstance(located.data, dict):
        raise ConfigError("the top level must be a mapping of sections", file=located.file, line=1)
    located.origins.update(apply_env_overrides(located.data, os.environ, Config.model_fields))
    config = validate_model(Config, located.data, located, ())
    _check_unique_names(config, located)
    loaded = LoadedConfig(config=config, file=located.file, base_dir=base_dir, located=located)
    for index, source in enumerate(config.sources):
        loaded.source_options[source.name] = _source_options(source, located, ("sources", index))
    _check_model_backend(config, located)
    return loaded


def validate_model(model: type[BaseModel], data: Any, located: LocatedYaml, prefix: KeyPath) -> Any:
    """Validate `data` into `model`; turn the first error into a ConfigError with file, line and key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, model, located, prefix) from None


def _config_error(exc: ValidationError, model: Any, located: LocatedYaml, prefix: KeyPath) -> ConfigError:
    error = exc.errors()[0]
    path: KeyPath = (*prefix, *error["loc"])
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        valid = _valid_keys(model, tuple(error["loc"][:-1]))
        message = f"unknown key; valid keys are: {', '.join(valid)}" if valid else "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    variable = next((v for p, v in located.origins.items() if path[:len(p)] == p), None)
    if variable is not None:  # the value came from the environment, not from the file's line
        return ConfigError(message, file=f"${variable}", key=dotted(path))
    return ConfigError(message, file=located.file, line=located.line_of(path), key=dotted(path))


def _valid_keys(model: Any, loc: tuple) -> list[str]:
    """Field names of the (nested) model at `loc`, so an unknown-key error can list the valid ones."""
    current = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(part)
        annotation = info.annotation if info else None
        current = _model_in(annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    if dataclasses.is_dataclass(current):
        return sorted(f.name for f in dataclasses.fields(current))
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _check_unique_names(config: Config, located: LocatedYaml) -> None:
    seen: set[str] = set()
    for index, source in enumerate(config.sources):
        if source.name in seen:
            path = ("sources", index, "name")
            raise ConfigError(f"duplicate source name {source.name!r}", file=located.file,
                              line=located.line_of(path), key=dotted(path))
        seen.add(source.name)


def _source_options(source: SourceConfig, located: LocatedYaml, path: KeyPath) -> Any:
    """Validate a source's `options` into its scraper's Options dataclass (unknown keys are errors)."""
    from scrapers import REGISTRY

    if source.kind not in REGISTRY:
        raise ConfigError(f"unknown kind {source.kind!r}; valid kinds are: {', '.join(sorted(REGISTRY))}",
                          file=located.file, line=located.line_of((*path, "kind")), key=dotted((*path, "kind")))
    options_type = REGISTRY[source.kind].Options
    valid = [f.name for f in dataclasses.fields(options_type)]
    for key in source.options:
        if key not in valid:
            key_path = (*path, "options", key)
            raise ConfigError(f"unknown option for kind {source.kind!r}; valid options are: {', '.join(sorted(valid))}",
                              file=located.file, line=located.line_of(key_path), key=dotted(key_path))
    try:
        return TypeAdapter(options_type).validate_python(dict(source.options))
    except ValidationError as exc:
        raise _config_error(exc, options_type, located, (*path, "options")) from None


def _check_model_backend(config: Config, located: LocatedYaml) -> None:
    from sentiment import REGISTRY

    for key_path, backend in ((("model", "backend"), config.model.backend),
                              (("model", "second_stage", "backend"),
                               config.model.second_stage.backend if config.model.second_stage else None)):
        if backend is not None and backend not in REGISTRY:
            raise ConfigError(f"unknown model backend {backend!r}; valid backends are: {', '.join(sorted(REGISTRY))}",
                              file=located.file, line=located.line_of(key_path), key=dotted(key_path))
