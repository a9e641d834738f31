"""The JSON Schema of config.yaml, generated from the pydantic models, so editors can complete and check the
file (`fangsiang schema`; the shipped `config.schema.json` is this output, kept in step by a test).

Each source's `options` are described per `kind` from its scraper's Options dataclass. Reads no config.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from listener.config.schema import Config

SCHEMA_ID = "https://fangsiang.dev/config.schema.json"


def config_schema() -> dict[str, Any]:
    """The whole schema: Config's, with `sources[].options` narrowed per `kind`."""
    from scrapers import REGISTRY

    schema = Config.model_json_schema()
    defs = schema.setdefault("$defs", {})
    source = defs["SourceConfig"]
    source["properties"]["kind"]["enum"] = sorted(REGISTRY)
    source["allOf"] = [_options_for(kind, scraper.Options, defs) for kind, scraper in sorted(REGISTRY.items())]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "fangsiang config.yaml", **schema}


def config_schema_text() -> str:
    return json.dumps(config_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _options_for(kind: str, options_type: type, defs: dict[str, Any]) -> dict[str, Any]:
    """`if kind == <kind> then options is <its Options>`, with the Options' own definitions hoisted."""
    options = TypeAdapter(options_type).json_schema(ref_template="#/$defs/{model}")
    defs.update(options.pop("$defs", {}))
    options["additionalProperties"] = False
    options.pop("required", None)  # every option has a default; a source may give none
    options["title"] = f"{kind} options"
    return {"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": {"options": options}}}
