"""fangsiang sentiment package: text → `Verdict` (language, sentiment, complaint probability, escalation cues).

Backends are listed in `REGISTRY` as "module:Class" strings and imported only when asked for, so the
transformers backend (and torch) is never imported unless configured. Config: `model: {kind: ..., ...}`,
where the other keys are the backend's own options, passed to its `from_options`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sentiment.types import Backend, Verdict

REGISTRY: dict[str, str] = {
    "embedded": "sentiment.embedded:EmbeddedModel",
    "transformers": "sentiment.encoder.hf:TransformersBackend",
    "e5-complaint": "sentiment.encoder.complaint:E5Complaint",
}

__all__ = ["REGISTRY", "Backend", "Verdict", "load_backend"]


def load_backend(kind: str, **options: Any) -> Backend:
    """Import the backend registered under `kind` and build it from its options."""
    if kind not in REGISTRY:
        raise ValueError(f"unknown model kind {kind!r}; valid kinds: {', '.join(sorted(REGISTRY))}")
    module_name, _, class_name = REGISTRY[kind].partition(":")
    cls = getattr(import_module(module_name), class_name)
    return cls.from_options(**options)
