"""`fangsiang backtest --threads`: growth curves replayed as Pantip threads through the real pipeline (store,
tracker, growth, risk, incidents, dispatcher) with the embedded model, on a simulated clock, nothing sent.

tests/data/thread_growth_sample.jsonl holds two dev curves of the `thread-growth` data and one made by hand:
reddit_college:cdls34 (128 replies in 72 h, its 20th after 56 minutes), reddit_ireland:1189 (4 replies, the
first after 15 hours) and tiny:1 (3 replies at 2, 5 and 9 hours; a qa-thread).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listener.app import build_backend
from listener.backtest import threads
from listener.backtest.command import add_arguments
from listener.config import parse_config_text

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "thread_growth_sample.jsonl"
TOPIC = "ทรูมูฟ เน็ตช้ามากช่วงนี้ ใครเป็นบ้างครับ"  # "TrueMove: the internet is very slow lately, anyone else?"
CONFIG = """
storage: {url: "sqlite:///unused.db"}
model: {backend: embedded}
alerting: {default_channel: "#care", daily_summary_at: null}
slack: {token_env: BACKTEST_TEST_NO_TOKEN}
sources:
  - {name: pantip-telecom, kind: pantip, schedule: {every: 5m}, options: {rooms: [mbk]}}
  - {name: news, kind: rss, options: {urls: ["http://127.0.0.1:9/unused.xml"]}}
watchlists:
  - name: telco
    terms: {th: ["ทรูมูฟ"]}
    tiers: {watch: 0.3, high: 0.75, critical: 0.9}
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    return parse_config_text(CONFIG, base_dir=tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def backend(loaded):
    return build_backend(loaded)  # loaded once for the module: every replay below scores with it


def backtest(loaded, backend, capsys, *argv: str) -> tuple[int, str, str]:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(list(argv))
    code = threads.run(args, loaded, backend=backend)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_fast_big_thread_is_flagged_before_its_20th_reply_and_a_flat_small_one_is_not(loaded, backend, capsys,
                                                                                         tmp_path: Path) -> None:
    code, out, _ = backtest(loaded, backend, capsys, "--threads", str(SAMPLE), "--root-text", TOPIC, "--json")
    result = json.loads(out)
    assert code == 0
    for key in ("threads", "big", "big_flagged_before_20", "small", "small_flagged", "median_lead_s",
                "first_message_p50_s", "messages_per_thread_max", "baselines", "by_kind"):
        assert key in result
    assert (result["threads"], result["big"], result["small"]) == (3, 1, 2)
    assert result["big_flagged_before_20"] == 1  # the fast thread
    assert result["small_flagged"] == 0  # neither the flat thread nor the tiny one reaches `high`
    assert result["median_lead_s"] > 0  # flagged long before its 100th reply
    assert result["threads_messaged"] == 3 and result["messages_per_thread_max"] >= 1
    assert result["first_message_p50_s"] <= 5 * 60 + 60  # the first listing poll, then one dispatch tick
    # the tiny thread: its 10 replies never come, so the count rule never flags it; the fast one it does
    count = result["baselines"]["count_10"]
    assert (count["big"], count["big_flagged_before_20"], count["small"], count["small_flagged"]) == (1, 1, 2, 0)
    assert set(result["by_kind"]) == {"forum-thread", "qa-thread"}
    assert result["by_kind"]["qa-thread"]["threads"] == 1 and result["by_kind"]["qa-thread"]["small"] == 1
    assert result["run"]["replies"] == 128 + 4 + 3


def test_the_table_prints_with_a_progress_bar(loaded, backend, capsys) -> None:
    code, out, err = backtest(loaded, backend, capsys, "--threads", str(SAMPLE), "--root-text", TOPIC,
                              "--kind", "qa-thread")
    assert code == 0
    assert "1 threads replayed on pantip-telecom" in out
    for method in ("fangsiang", "≥10 replies", "spike"):
        assert f"qa-thread              {method}" in out
    assert "first message p50" in out
    assert "1/1 threads" in err


def test_a_bad_line_is_refused_with_its_file_and_line(loaded, backend, capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").splitlines()[2] + "\n" + '{"thread_id": "x", "reply_times": [5, 1]}\n',
                   encoding="utf-8")
    with pytest.raises(SystemExit, match=rf"{bad}:2: "):
        backtest(loaded, backend, capsys, "--threads", str(bad), "--root-text", TOPIC, "--json")


def test_a_topic_that_matches_no_watchlist_is_refused(loaded, backend, capsys) -> None:
    with pytest.raises(SystemExit, match=r"thread_growth_sample.jsonl:1: the topic text .* matches no watchlist"):
        backtest(loaded, backend, capsys, "--threads", str(SAMPLE), "--root-text", "AIS เน็ตช้า", "--json")
    with pytest.raises(SystemExit, match="no watchlist 'nope'"):
        backtest(loaded, backend, capsys, "--threads", str(SAMPLE), "--root-text", TOPIC, "--watchlist", "nope")
