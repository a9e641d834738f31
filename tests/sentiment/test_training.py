"""Training runs end to end on a tiny synthetic sample and writes a file the runtime loads without pickle."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from sentiment.embedded import EmbeddedModel
from sentiment.train import main as train_main

# A few words per gold label; texts are random mixes of these with neutral filler, so each class is learnable.
VOCAB = {
    "th-wisesight": {"pos": ["ดีมาก", "ชอบ", "อร่อย"], "neu": ["วันนี้", "ประกาศ", "ข่าว"],
                     "neg": ["แย่", "เสีย", "ห่วย"], "q": ["ไหม", "อย่างไร", "หรือเปล่า"]},
    "th-truevoice-intent": {"report": ["ใช้ไม่ได้", "สัญญาณหาย", "เน็ตล่ม"], "enquire": ["สอบถาม", "ยอด", "โปร"]},
    "en-airline": {"negative": ["delayed", "lost", "rude"], "neutral": ["flight", "today", "gate"],
                   "positive": ["thanks", "great", "love"]},
    "en-complaints": {"complaint": ["broken", "refund", "worst"], "not_complaint": ["hello", "nice", "cool"]},
    "zh-waimai10k": {"negative": ["太慢", "难吃", "凉了"], "positive": ["好吃", "很快", "满意"]},
    # A second Chinese corpus, so the mixture of domain experts and its gate are trained and stored too.
    "zh-online-shopping": {"negative": ["退货", "质量差", "假货"], "positive": ["正品", "划算", "满意"]},
}
FILLER = {"th": ["ครับ", "ค่ะ", "ร้าน"], "en": ["the", "my", "is"], "zh": ["这个", "外卖", "的"]}


def write_corpus(root: Path, name: str, rng: random.Random) -> None:
    filler = FILLER[name[:2]]
    sep = "" if name[:2] in ("th", "zh") else " "
    for split, n in (("train", 30), ("dev", 10)):
        (root / name).mkdir(parents=True, exist_ok=True)
        with open(root / name / f"{split}.jsonl", "w", encoding="utf-8") as fh:
            for label, cue_words in VOCAB[name].items():
                for _ in range(n):
                    text = sep.join([rng.choice(filler), rng.choice(cue_words), rng.choice(filler)])
                    fh.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")


def test_training_writes_a_loadable_model(tmp_path: Path) -> None:
    rng = random.Random(0)
    for name in VOCAB:
        write_corpus(tmp_path / "data", name, rng)
    assert train_main(["--data", str(tmp_path / "data"), "--out", str(tmp_path / "out")]) == 0
    path = tmp_path / "out" / "model.npz"
    with np.load(path, allow_pickle=False) as archive:
        assert "header" in archive.files
    model = EmbeddedModel.load(path)
    verdicts = model.predict(["ร้าน ห่วย ครับ", "my refund is broken", "外卖 好吃 的"])
    assert [v.lang for v in verdicts] == ["th", "en", "zh"]
    assert verdicts[0].label == "negative"
    assert verdicts[1].complaint > 0.5
    assert verdicts[2].label == "positive"
    assert model.header["langs"]["zh"]["mixture"]["size"] == 2
    assert model.predict(["这个 假货 的"])[0].label == "negative"


def test_permissive_variant_only_has_thai_heads(tmp_path: Path) -> None:
    rng = random.Random(1)
    for name in VOCAB:
        write_corpus(tmp_path / "data", name, rng)
    argv = ["--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--permissive-only"]
    assert train_main(argv) == 0
    model = EmbeddedModel.load(tmp_path / "out" / "model-permissive.npz")
    assert sorted(model.header["langs"]) == ["th"]
    assert set(model.header["trained_on"]) == {"th-wisesight", "th-truevoice-intent"}
    assert model.predict(["hello"])[0].lang == "en"  # still detected, scored by the Thai heads
