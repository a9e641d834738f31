"""`fangsiang score` with the shipped model: one JSON object per input, bad lines reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listener.cli import main

FIELDS = {"id", "lang", "sentiment", "probs", "complaint", "risk", "reason", "cues"}


def test_score_one_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--no-config", "เน็ตหลุดทุกวัน แจ้งไปก็ไม่แก้ จะไปร้องเรียน สคบ. แย่มาก"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == FIELDS
    assert result["lang"] == "th" and result["sentiment"] == "negative"
    assert set(result["probs"]) == {"negative", "neutral", "positive", "question"}
    assert abs(sum(result["probs"].values()) - 1) < 1e-3
    assert "สคบ." in result["cues"] and result["risk"] > 0.5


def test_score_file_keeps_ids_and_reports_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "posts.jsonl"
    source.write_text("\n".join([
        json.dumps({"id": "a", "text": "I want a refund or I will sue, worst airline ever, never again", "extra": 1}),
        "{not json",
        json.dumps({"id": 3, "text": "外卖送得很快，味道很好"}),
        json.dumps({"id": 4, "body": "no text field"}),
    ]) + "\n", encoding="utf-8")
    output = tmp_path / "scored.jsonl"
    assert main(["score", "--no-config", "--input", str(source), "--output", str(output)]) == 1
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", 3]
    assert rows[0]["lang"] == "en" and "sue" in rows[0]["cues"] and rows[0]["sentiment"] == "negative"
    assert rows[1]["lang"] == "zh" and rows[1]["sentiment"] == "positive"
    err = capsys.readouterr().err
    assert "line 2:" in err and "line 4:" in err and "line 1:" not in err


def test_eval_reports_accuracy_and_f1_for_any_labelled_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "mine.jsonl"
    rows = [("I want a refund, my order never arrived", "complaint"), ("Thanks, lovely service today", "not_complaint"),
            ("Worst support ever, still waiting for a fix", "complaint"), ("Happy birthday to my sister", "not_complaint")]
    data.write_text("\n".join(json.dumps({"text": t, "label": label}) for t, label in rows) + "\n", encoding="utf-8")
    assert main(["eval", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "acc" in out and "macroF1" in out and "ECE" in out
    line = next(line for line in out.splitlines() if "complaint=" in line)
    assert line.split()[1] == "4" and "complaint=" in line
