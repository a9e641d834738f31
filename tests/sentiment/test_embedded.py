"""The shipped model file, loaded for real: the behaviour the listener and its users see."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sentiment import REGISTRY, load_backend
from sentiment.embedded import DEFAULT_PATH, EmbeddedModel


@pytest.fixture(scope="module")
def model() -> EmbeddedModel:
    return EmbeddedModel.load()


def test_shipped_file_is_plain_arrays_without_pickle() -> None:
    with np.load(DEFAULT_PATH, allow_pickle=False) as archive:
        for name in archive.files:
            assert archive[name].dtype != object, name  # reading an object array would raise here
        header = json.loads(archive["header"].tobytes().decode("utf-8"))
    assert header["labels"] == ["negative", "neutral", "positive", "question"]
    assert DEFAULT_PATH.stat().st_size < 20_000_000


def test_shipped_header_states_its_dev_figures() -> None:
    with np.load(DEFAULT_PATH, allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes().decode("utf-8"))
    dev = header["dev"]
    assert {"th-wisesight", "th-truevoice-intent", "en-airline", "en-complaints", "zh-chnsenticorp",
            "zh-waimai10k", "zh-online-shopping"} <= set(dev)
    assert 0.5 < dev["th-wisesight"]["accuracy"] <= 1.0
    assert 0.5 < dev["en-complaints"]["complaint_f1"] <= 1.0
    assert all(0.0 <= figures["ece"] < 0.2 for figures in dev.values())


def test_a_verdict_does_not_depend_on_the_rest_of_the_batch(model: EmbeddedModel) -> None:
    texts = ["เน็ตใช้ไม่ได้ค่ะ", "太差了", "@United thanks!!", "", "ร้านนี้ KFC ห่วย 外卖", "a\x00b"]
    together = model.predict(texts)
    alone = [model.predict([t])[0] for t in texts]
    for a, b in zip(together, alone):
        assert a.label == b.label and a.lang == b.lang
        assert all(abs(a.probs[k] - b.probs[k]) < 1e-6 for k in a.probs)
        assert abs(a.complaint - b.complaint) < 1e-6


def test_registry_resolves_embedded_backend_lazily() -> None:
    assert REGISTRY["embedded"] == "sentiment.embedded:EmbeddedModel"
    backend = load_backend("embedded", cues={"th": ["ทรูห่วย"]})
    assert backend.name.startswith("embedded-linear@")
    with pytest.raises(ValueError, match="embedded"):
        load_backend("nope")


def test_clear_complaints_score_high_in_three_languages(model: EmbeddedModel) -> None:
    texts = [
        "เน็ตใช้ไม่ได้ค่ะ สัญญาณหายตั้งแต่เมื่อวาน",
        "外卖送了两个小时，饭菜全凉了，太差了，再也不点了",
        "@United lost my bag AGAIN and nobody at the desk will help. Worst service ever.",
    ]
    verdicts = model.predict(texts)
    assert [v.lang for v in verdicts] == ["th", "zh", "en"]
    assert all(v.complaint > 0.5 for v in verdicts), [v.complaint for v in verdicts]
    assert all(v.label == "negative" for v in verdicts)


def test_praise_scores_positive_and_low_complaint(model: EmbeddedModel) -> None:
    texts = ["อร่อยมากกกก ชอบมากค่ะ จะกลับมาอีกแน่นอน", "味道很好，送餐很快，非常满意", "Thank you so much, great crew and a lovely flight!"]
    for verdict in model.predict(texts):
        assert verdict.label == "positive", verdict
        assert verdict.complaint < 0.5, verdict


def test_thai_question_is_recognised(model: EmbeddedModel) -> None:
    verdict = model.predict(["ร้านนี้เปิดกี่โมงคะ มีที่จอดรถไหมคะ"])[0]
    assert verdict.probs["question"] > 0.2


def test_probabilities_are_a_distribution_and_scoring_is_deterministic(model: EmbeddedModel) -> None:
    texts = ["ดีมาก", "太差", "ok", "", "😡😡😡", "ร้าน KFC ห่วย"]
    first = model.predict(texts)
    assert [v.probs for v in first] == [v.probs for v in model.predict(texts)]
    for verdict in first:
        assert abs(sum(verdict.probs.values()) - 1.0) < 1e-6
        assert 0.0 <= verdict.complaint <= 1.0
        assert verdict.label == max(verdict.probs, key=verdict.probs.get)
    assert len(first) == len(texts)


def test_verdicts_carry_cues_including_configured_extras() -> None:
    backend = EmbeddedModel.from_options(cues={"th": ["ทรูห่วย"]})
    verdict = backend.predict(["ทรูห่วยมาก ฝากแชร์ด้วย จะไปร้องเรียน สคบ."])[0]
    assert verdict.cues == ("ทรูห่วย", "ฝากแชร์", "สคบ.")
    assert verdict.model == backend.name


def test_elongation_and_laughter_do_not_change_the_verdict(model: EmbeddedModel) -> None:
    plain, long = model.predict(["อร่อยมาก", "อร่อยมากกกกกกกก"])
    assert plain.probs == long.probs
