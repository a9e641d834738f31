"""CPU speed of the transformers backend on a local model directory: batch throughput and single-text latency.

    python bench/transformers_speed.py MODEL_DIR [--labels '{"LABEL_0": "negative", ...}'] [--texts FILE.jsonl]
        [--n 512] [--batch-size 32] [--max-length 128] [--threads 2] [--device cpu]

Texts come from a JSONL file with a `text` field (e.g. the wisesight dev split); without one, a fixed mix of
Thai, English and Chinese posts is repeated. Throughput is measured on `--n` texts in one `predict` call (the
backend sorts them by length into batches); latency is p50/p99 over single-text calls, as a lone post would see.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from latency import single_text_ms  # beside this file

SAMPLE = [
    "เน็ตหลุดทั้งวัน แจ้งศูนย์ไปสามรอบแล้วก็ยังไม่แก้ จะไปร้องเรียน สคบ. แล้วนะ",
    "ซื้อโปรใหม่ได้ที่ไหนคะ",
    "The app keeps crashing after the update and support never answers. Refund me.",
    "Thanks for the quick fix!",
    "快递太慢了，客服也不理人，我要投诉",
    "味道不错，送餐也很快",
]


def load_texts(path: Path | None, n: int) -> list[str]:
    if path is None:
        return [SAMPLE[i % len(SAMPLE)] for i in range(n)]
    with path.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for _, line in zip(range(n), f)]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--labels", type=json.loads, default=None)
    parser.add_argument("--texts", type=Path, default=None)
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--latency-calls", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    # Thread count must be fixed before torch is first imported (inside the backend) to take effect.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    from sentiment.encoder.hf import TransformersBackend

    backend = TransformersBackend.from_options(
        model=args.model, labels=args.labels, device=args.device, batch_size=args.batch_size,
        max_length=args.max_length,
    )
    texts = load_texts(args.texts, args.n)
    backend.predict(texts[: args.batch_size])  # warm-up: first call pays lazy init
    start = time.perf_counter()
    backend.predict(texts)
    batch_s = time.perf_counter() - start
    p50, p99 = single_text_ms(backend.predict, texts, args.latency_calls)
    print(f"model {backend.name} on {args.device}, {os.environ['OMP_NUM_THREADS']} threads, max_length {backend.max_length}")
    print(f"batch:  {len(texts)} texts in {batch_s:.2f}s = {len(texts) / batch_s:.1f} texts/s (batch_size {args.batch_size})")
    print(f"single: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {args.latency_calls} calls")


if __name__ == "__main__":
    main()
