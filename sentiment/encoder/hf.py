"""Score texts with any Hugging Face sequence-classification model (local directory or hub id).

Config keys read (the backend's own section, `kind: transformers`): `model`, `labels`, `cache_dir`, `offline`,
`device`, `batch_size`, `max_length`, `complaint_labels`, `cues`.

The model's own `id2label` names are mapped onto ours (`negative|neutral|positive|question`) by `labels`, so a
model trained elsewhere with "LABEL_0" or "neg" names drops in by config alone. transformers and torch are
imported only inside functions: importing `sentiment` stays cheap for processes that never load a transformer.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from sentiment.encoder.batches import by_length
from sentiment.types import Verdict

OUR_LABELS: tuple[str, ...] = ("negative", "neutral", "positive", "question")
_TRUTHY = {"1", "true", "yes", "on"}
# RoBERTa-family models number positions from pad_token_id + 1, so two slots of the table are never usable.
_POSITION_OFFSET_TYPES = ("roberta", "xlm-roberta", "camembert")


class ModelConfigError(ValueError):
    """The configured model cannot be loaded or its labels do not fit ours; raised at load, never mid-run."""


@dataclass(frozen=True)
class LabelMap:
    """How the model's output columns fold into our labels and into the complaint probability."""

    columns: tuple[str, ...]  # our label for each model output column, in column order
    labels: tuple[str, ...]  # our labels the model can produce, in canonical order
    complaint_columns: tuple[int, ...]  # model columns whose probabilities sum to `complaint`


def build_label_map(
    id2label: dict[int, str], labels: dict[str, str] | None, complaint_labels: list[str] | None
) -> LabelMap:
    """Map model label names to ours; every model label must be mapped, else the error names the valid ones."""
    raw = [str(id2label[i]) for i in sorted(id2label)]
    mapping = dict(labels) if labels is not None else {name: name.lower() for name in raw}
    unmapped = [name for name in raw if name not in mapping]
    if unmapped:
        raise ModelConfigError(
            f"model labels {unmapped} are not mapped in `labels`; the model's labels are {raw}, "
            f"each must map to one of {list(OUR_LABELS)}"
        )
    bad = {k: v for k, v in mapping.items() if k in raw and v not in OUR_LABELS}
    if bad:
        raise ModelConfigError(f"`labels` maps to unknown labels {bad}; valid labels are {list(OUR_LABELS)}")
    unknown_keys = sorted(set(mapping) - set(raw))
    if labels is not None and unknown_keys:
        raise ModelConfigError(f"`labels` names {unknown_keys}, which the model does not have; its labels are {raw}")
    columns = tuple(mapping[name] for name in raw)
    return LabelMap(columns, tuple(l for l in OUR_LABELS if l in columns), _complaint_columns(raw, columns, complaint_labels))


def _complaint_columns(raw: list[str], columns: tuple[str, ...], wanted: list[str] | None) -> tuple[int, ...]:
    """Columns for `complaint`: names may be the model's own (a dedicated complaint class) or ours."""
    if wanted is None:
        wanted = ["negative"]
    picked: set[int] = set()
    for name in wanted:
        hits = [i for i, r in enumerate(raw) if r == name] or [i for i, c in enumerate(columns) if c == name]
        if not hits:
            raise ModelConfigError(
                f"complaint label {name!r} is neither a model label {raw} nor a mapped label {sorted(set(columns))}"
            )
        picked.update(hits)
    return tuple(sorted(picked))


def is_offline(offline: bool) -> bool:
    """Offline if config says so or the standard HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE variable is set."""
    env = (os.environ.get(var, "").strip().lower() for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    return offline or any(v in _TRUTHY for v in env)


def model_version(model: str, config_json: str) -> str:
    """Short digest that changes when a local model's config or weights change, or the hub commit."""
    digest = hashlib.sha256(config_json.encode("utf-8"))
    path = Path(model)
    if path.is_dir():
        for f in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
            stat = f.stat()
            digest.update(f"{f.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:10]


class TransformersBackend:
    """A loaded sequence classifier that returns one `Verdict` per text, batched by length."""

    def __init__(self, tokenizer: Any, model: Any, label_map: LabelMap, *, name: str, device: str,
                 batch_size: int, max_length: int, cues: dict[str, list[str]] | None = None) -> None:
        from sentiment.cues import CueFinder

        self.tokenizer, self.model, self.label_map = tokenizer, model, label_map
        self.name, self.device, self.batch_size, self.max_length = name, device, batch_size, max_length
        self.labels = label_map.labels
        self._cues = CueFinder(cues)

    @classmethod
    def from_options(
        cls,
        model: str,
        labels: dict[str, str] | None = None,
        cache_dir: str | None = None,
        offline: bool = True,
        device: str = "cpu",
        batch_size: int = 32,
        max_length: int = 256,
        complaint_labels: list[str] | None = None,
        cues: dict[str, list[str]] | None = None,
    ) -> "TransformersBackend":
        """Load tokenizer and model with `transformers`' Auto classes; config errors surface here, not mid-run."""
        if batch_size < 1 or max_length < 2:
            raise ModelConfigError(f"batch_size must be >= 1 and max_length >= 2, got {batch_size}, {max_length}")
        torch_device = _resolve_device(device)
        tokenizer, net = _load(model, cache_dir, is_offline(offline))
        label_map = build_label_map(net.config.id2label, labels, complaint_labels)
        net.to(torch_device).eval()
        short = Path(model).name if Path(model).is_dir() else model  # a hub id keeps its org for the record
        name = f"transformers:{short}@{model_version(model, net.config.to_json_string())}"
        return cls(tokenizer, net, label_map, name=name, device=str(torch_device), batch_size=batch_size,
                   max_length=_bounded_length(max_length, tokenizer, net.config), cues=cues)

    def predict(self, texts: Sequence[str]) -> list[Verdict]:
        """Score texts in length-sorted batches (less padding) and return verdicts in the caller's order."""
        import torch

        texts = list(texts)
        if not texts:
            return []
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        probs: list[list[float]] = [[] for _ in texts]
        with torch.inference_mode():
            for chunk, input_ids, mask in by_length(ids, pad_id, self.batch_size):
                logits = self.model(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device)).logits
                for i, row in zip(chunk, torch.softmax(logits.float(), dim=-1).cpu().tolist()):
                    probs[i] = row
        return [self._verdict(text, row) for text, row in zip(texts, probs)]

    def _verdict(self, text: str, row: list[float]) -> Verdict:
        from sentiment.lang import detect

        ours = dict.fromkeys(self.labels, 0.0)
        for column, p in zip(self.label_map.columns, row):
            ours[column] += p
        complaint = sum(row[i] for i in self.label_map.complaint_columns)
        return Verdict(lang=detect(text), label=max(ours, key=ours.__getitem__), probs=ours,
                       complaint=min(1.0, complaint), cues=tuple(self._cues.find(text)), model=self.name)


def _load(model: str, cache_dir: str | None, offline: bool) -> tuple[Any, Any]:
    """Auto tokenizer + sequence-classification model; a missing model becomes a config error naming the fix."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    kwargs: dict[str, Any] = {"cache_dir": cache_dir, "local_files_only": offline}
    try:
        tokenizer = AutoTokenizer.from_pretrained(model, **kwargs)
        net = AutoModelForSequenceClassification.from_pretrained(model, **kwargs)
    except (OSError, ValueError) as exc:
        hint = " (offline: only local directories and the cache are searched)" if offline else ""
        raise ModelConfigError(f"cannot load model {model!r}{hint}: {exc}") from exc
    return tokenizer, net


def _resolve_device(device: str) -> Any:
    """`cpu`, `cuda`, `cuda:N` or `auto`; asking for CUDA on a machine without it is a config error."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelConfigError(f"device {device!r} requested but CUDA is not available; use device: cpu")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ModelConfigError(f"unknown device {device!r}; use cpu, cuda, cuda:N or auto") from exc


def _bounded_length(max_length: int, tokenizer: Any, config: Any) -> int:
    """Never feed more tokens than the position table holds, whatever the config or tokenizer claim."""
    limit = min(max_length, int(getattr(tokenizer, "model_max_length", max_length) or max_length))
    positions = getattr(config, "max_position_embeddings", None)
    if positions:
        offset = (getattr(config, "pad_token_id", 0) or 0) + 1 if config.model_type in _POSITION_OFFSET_TYPES else 0
        limit = min(limit, positions - offset)
    return limit
