"""Text -> Verdict: language, normalisation, the model backends and escalation cues.

Backends are named in `REGISTRY` by import path and resolved only when asked for, so importing this
package never imports torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sentiment.types import Backend, Verdict

REGISTRY: dict[str, str] = {
    "embedded": "sentiment.embedded:EmbeddedModel",
    "transformers": "sentiment.transformers_backend:TransformersBackend",
}

__all__ = ["REGISTRY", "Backend", "Verdict", "load_backend"]


def load_backend(kind: str, **options: Any) -> Backend:
    """Build the backend registered as `kind` from its options (see each backend's `from_options`)."""
    if kind not in REGISTRY:
        raise ValueError(f"unknown model backend {kind!r}; valid backends are: {', '.join(sorted(REGISTRY))}")
    module_name, class_name = REGISTRY[kind].split(":")
    backend_class = getattr(import_module(module_name), class_name)
    return backend_class.from_options(**options)
