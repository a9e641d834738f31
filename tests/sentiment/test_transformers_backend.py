"""The transformers backend loads a real (tiny, randomly initialised) BERT model and tokenizer from disk, offline.

The model is built here with `transformers` itself and saved with `save_pretrained`, so every test goes through
the same `AutoTokenizer` / `AutoModelForSequenceClassification` path a deployment uses.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast  # noqa: E402

from sentiment.cascade import Cascade  # noqa: E402
from sentiment.encoder.hf import ModelConfigError, TransformersBackend  # noqa: E402

RAW_LABELS = {0: "NEG", 1: "NEU", 2: "POS", 3: "Q"}
MAPPING = {"NEG": "negative", "NEU": "neutral", "POS": "positive", "Q": "question"}
THAI = "สัญญาณเน็ตหลุดบ่อยมากแย่ที่สุดจะฟ้องสคบ"
WORDS = "the service is bad good slow refund sue share internet app true ais dtac".split()
CHINESE = "服务太差了退款投诉好快递"
TEXTS = [
    "the service is bad",
    f"{THAI} true",
    f"{CHINESE}",
    "good app " * 20,
    "slow internet, will sue and share",
    "",
]


def _write_vocab(path: Path) -> Path:
    """WordPiece vocab: specials, words, and single characters (plain and ## continuations) for Thai and Chinese."""
    chars = sorted(set(THAI + CHINESE + "abcdefghijklmnopqrstuvwxyz,.!?"))
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *chars, *(f"##{c}" for c in chars)]
    vocab = path / "vocab.txt"
    vocab.write_text("\n".join(dict.fromkeys(tokens)) + "\n", encoding="utf-8")
    return vocab


def _build(path: Path, bias: list[float] | None = None, seed: int = 0) -> Path:
    """Save a 2-layer BERT classifier and its tokenizer; `bias` forces a known answer through the head."""
    path.mkdir(parents=True)
    tokenizer = BertTokenizerFast(vocab_file=str(_write_vocab(path)), do_lower_case=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, id2label=RAW_LABELS,
        label2id={v: k for k, v in RAW_LABELS.items()},
    )
    model = BertForSequenceClassification(config).eval()
    if bias is not None:
        with torch.no_grad():
            model.classifier.weight.mul_(0.01)
            model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("models") / "tiny-bert")


@pytest.fixture(scope="module")
def negative_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model whose head says NEG (column 0) for anything: proves column 0 is reported as `negative`."""
    return _build(tmp_path_factory.mktemp("models") / "neg-bert", bias=[6.0, 0.0, 0.0, 0.0], seed=1)


@pytest.fixture(scope="module")
def backend(model_dir: Path) -> TransformersBackend:
    return TransformersBackend.from_options(model=str(model_dir), labels=MAPPING, batch_size=2, max_length=32)


def test_scores_thai_english_chinese_offline(backend: TransformersBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    verdicts = backend.predict(TEXTS)
    assert len(verdicts) == len(TEXTS)
    assert [v.lang for v in verdicts[:3]] == ["en", "th", "zh"]
    for v in verdicts:
        assert set(v.probs) == {"negative", "neutral", "positive", "question"}
        assert math.isclose(sum(v.probs.values()), 1.0, abs_tol=1e-5)
        assert v.label == max(v.probs, key=v.probs.get)
        assert math.isclose(v.complaint, v.probs["negative"], abs_tol=1e-6)
        assert v.model.startswith("transformers:tiny-bert@")
    assert "จะฟ้อง" in verdicts[1].cues and "投诉" in verdicts[2].cues and "sue" in verdicts[4].cues


def test_model_labels_are_mapped_to_ours(negative_dir: Path) -> None:
    backend = TransformersBackend.from_options(model=str(negative_dir), labels=MAPPING)
    assert backend.labels == ("negative", "neutral", "positive", "question")
    for v in backend.predict(["the service is bad", CHINESE]):
        assert v.label == "negative" and v.probs["negative"] > 0.95 and v.complaint > 0.95


def test_complaint_labels_sum_chosen_columns(negative_dir: Path) -> None:
    folded = {"NEG": "negative", "NEU": "neutral", "POS": "positive", "Q": "neutral"}
    backend = TransformersBackend.from_options(
        model=str(negative_dir), labels=folded, complaint_labels=["Q", "positive"]
    )
    assert backend.labels == ("negative", "neutral", "positive")
    v = backend.predict(["refund"])[0]
    assert set(v.probs) == {"negative", "neutral", "positive"}
    assert v.complaint < 0.05  # NEG is not a complaint label here, so its 0.99 does not count


def test_batches_keep_the_callers_order(backend: TransformersBackend) -> None:
    """Length-sorted batches of 2 must give each text the same scores it gets alone."""
    together = backend.predict(TEXTS)
    for text, v in zip(TEXTS, together):
        alone = backend.predict([text])[0]
        for label, p in alone.probs.items():
            assert v.probs[label] == pytest.approx(p, abs=1e-4), text


def test_long_text_is_truncated_to_max_length(model_dir: Path) -> None:
    """A post far longer than the position table scores, and only its first max_length tokens count."""
    backend = TransformersBackend.from_options(model=str(model_dir), labels=MAPPING, max_length=16)
    head = "the service is bad slow internet refund " * 2
    short, long_ = backend.predict([head, head + "good app " * 3000])
    assert short.probs == pytest.approx(long_.probs, abs=1e-5)
    roomy = TransformersBackend.from_options(model=str(model_dir), labels=MAPPING, max_length=100_000)
    assert roomy.max_length == 64  # bounded by the model's position table, not by config
    assert len(roomy.predict(["good app " * 3000])) == 1


def test_unmapped_label_is_an_error_naming_the_valid_ones(model_dir: Path) -> None:
    with pytest.raises(ModelConfigError) as err:
        TransformersBackend.from_options(model=str(model_dir), labels={"NEG": "negative", "NEU": "neutral"})
    message = str(err.value)
    assert "POS" in message and "Q" in message and "question" in message
    with pytest.raises(ModelConfigError, match="angry"):
        TransformersBackend.from_options(model=str(model_dir), labels={**MAPPING, "Q": "angry"})
    with pytest.raises(ModelConfigError, match="LABEL_0"):
        # Without a mapping the raw names must already be ours; NEG/NEU/... are not.
        TransformersBackend.from_options(model=str(model_dir), labels={"LABEL_0": "negative", **MAPPING})


def test_registry_builds_the_backend_from_config_options(model_dir: Path) -> None:
    from sentiment import load_backend

    backend = load_backend("transformers", model=str(model_dir), labels=MAPPING, complaint_labels=["NEG"])
    assert isinstance(backend, TransformersBackend)
    assert backend.predict(["bad"])[0].complaint == pytest.approx(backend.predict(["bad"])[0].probs["negative"])


def test_missing_model_offline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError, match="offline"):
        TransformersBackend.from_options(model=str(tmp_path / "nowhere"), labels=MAPPING)


def test_hub_id_loads_from_the_configured_cache_and_env_forces_offline(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hub id resolves from `cache_dir` (hub cache layout) with no network; HF_HUB_OFFLINE overrides config."""
    snapshot = tmp_path / "models--acme--tiny-bert" / "snapshots" / "0123abcd"
    shutil.copytree(model_dir, snapshot)
    (tmp_path / "models--acme--tiny-bert" / "refs").mkdir()
    (tmp_path / "models--acme--tiny-bert" / "refs" / "main").write_text("0123abcd")
    backend = TransformersBackend.from_options(model="acme/tiny-bert", labels=MAPPING, cache_dir=str(tmp_path))
    assert backend.predict(["good app"])[0].model.startswith("transformers:acme/tiny-bert@")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelConfigError, match="offline"):
        TransformersBackend.from_options(model="acme/not-cached", labels=MAPPING, cache_dir=str(tmp_path), offline=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_runs_on_cuda_with_the_same_scores(model_dir: Path, backend: TransformersBackend) -> None:
    gpu = TransformersBackend.from_options(model=str(model_dir), labels=MAPPING, device="cuda", max_length=32)
    for a, b in zip(backend.predict(TEXTS), gpu.predict(TEXTS)):
        assert b.probs == pytest.approx(a.probs, abs=1e-3)


class Recording:
    """Wraps a real backend and remembers which texts it was asked to score."""

    def __init__(self, inner: TransformersBackend) -> None:
        self.inner, self.name, self.labels, self.seen = inner, "second", inner.labels, []

    def predict(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.seen.extend(texts)
        return self.inner.predict(texts)


def test_cascade_rescores_only_marked_texts(backend: TransformersBackend, negative_dir: Path) -> None:
    second = Recording(TransformersBackend.from_options(model=str(negative_dir), labels=MAPPING))
    cascade = Cascade(backend, second, weight=0.5)
    texts = TEXTS[:4]
    merged = cascade.predict(texts, marked=[False, True, False, True])
    assert second.seen == [texts[1], texts[3]]
    first = backend.predict(texts)
    assert merged[0] == first[0] and merged[2] == first[2]
    for i in (1, 3):
        assert merged[i].probs["negative"] == pytest.approx(0.5 * first[i].probs["negative"] + 0.5 * 0.99, abs=0.02)
        assert merged[i].label == "negative" and "+" in merged[i].model
    assert cascade.predict(texts, marked=[False] * len(texts)) == first  # nothing marked: second model never runs
    assert second.seen == [texts[1], texts[3]]
