"""The spread forecast: shipped parameters, forecasts of real curves, poll delays, and the fitting command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from listener.incidents import fit_forecast, forecast
from listener.incidents import forecast_replay as replay
from listener.incidents.growth_curves import Curve, CurveError, read_curves

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "thread-growth"
HOUR = 3600.0


def _dev_forum_curves() -> list[Curve]:
    return [c for c in read_curves(FIXTURE, ["dev"]) if c.kind == "forum-thread"]


def _fast_and_slow(age_s: float) -> tuple[Curve, Curve]:
    """Of the fixture's dev forum curves with replies by `age_s`, the fastest start and the slowest."""
    started = sorted((c for c in _dev_forum_curves() if c.count_at(age_s) > 0), key=lambda c: c.count_at(age_s))
    return started[-1], started[0]


def test_a_fast_starting_real_curve_is_forecast_bigger_than_a_slow_one() -> None:
    fast, slow = _fast_and_slow(HOUR)
    assert fast.count_at(HOUR) >= 3 * slow.count_at(HOUR)
    f_fast = forecast.forecast(fast.times[: fast.count_at(HOUR)], HOUR, 24 * HOUR)
    f_slow = forecast.forecast(slow.times[: slow.count_at(HOUR)], HOUR, 24 * HOUR)
    assert f_fast.expected > f_slow.expected
    assert f_fast.probability_at_least(100) > f_slow.probability_at_least(100)
    assert f_fast.now_count == fast.count_at(HOUR) and f_fast.horizon_s == 24 * HOUR


@pytest.mark.parametrize("kind", ["forum-thread", "qa-thread", "retweet-cascade", "pantip"])
def test_the_interval_holds_the_point_and_never_falls_below_what_is_seen(kind: str) -> None:
    times = [120.0, 300.0, 420.0, 900.0, 1000.0]
    f = forecast.forecast(times, 1800.0, 24 * HOUR, kind=kind)
    assert len(times) <= f.low <= f.expected <= f.high
    assert f.trend in {"rising", "steady", "cooling"}
    assert "@" in f.method


def test_an_unknown_kind_is_forecast_as_a_forum_thread() -> None:
    times = [60.0, 200.0, 500.0]
    assert forecast.forecast(times, 900.0, kind="pantip") == forecast.forecast(times, 900.0, kind="forum-thread")


def test_probability_at_least_falls_as_the_bar_rises() -> None:
    f = forecast.forecast([30.0, 90.0, 200.0, 260.0, 400.0, 410.0, 600.0], 900.0, 72 * HOUR)
    probabilities = [f.probability_at_least(n) for n in range(0, 2000, 7)]
    assert all(a >= b for a, b in zip(probabilities, probabilities[1:]))
    assert probabilities[0] == 1.0 and 0.0 <= probabilities[-1] < 0.05
    assert f.probability_at_least(f.now_count) == 1.0


def test_a_horizon_already_passed_is_the_count_then() -> None:
    f = forecast.forecast([100.0, 200.0, 5000.0], 10_000.0, horizon_s=1000.0)
    assert (f.expected, f.low, f.high) == (2.0, 2.0, 2.0)


def test_a_later_horizon_never_expects_fewer_comments() -> None:
    times = [60.0, 200.0, 500.0, 800.0]
    points = [forecast.forecast(times, 1200.0, h).expected for h in (2 * HOUR, 6 * HOUR, 24 * HOUR, 72 * HOUR)]
    assert points == sorted(points)


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="age_s"):
        forecast.forecast([1.0], float("nan"))
    with pytest.raises(ValueError, match="times_s"):
        forecast.forecast([1.0, float("inf")], 10.0)
    with pytest.raises(ValueError, match="horizon_s"):
        forecast.forecast([1.0], 10.0, horizon_s=0)
    with pytest.raises(ValueError, match="poll bounds"):
        forecast.poll_delay_s([1.0], 10.0, min_s=600, max_s=60)


def test_numpy_numbers_from_the_store_are_accepted() -> None:
    f = forecast.forecast(np.array([60, 120, 300]), np.int64(900), np.int64(86_400))
    assert f.now_count == 3 and f.age_s == 900.0 and f.expected >= 3


def test_poll_delay_is_short_for_a_fast_young_thread_and_long_for_a_cold_old_one() -> None:
    young_fast = forecast.poll_delay_s([20.0 * k for k in range(1, 30)], 600.0, min_s=60, max_s=7200)
    cold_old = forecast.poll_delay_s([100.0, 400.0, 2000.0], 3 * 86_400.0, min_s=60, max_s=7200)
    assert 60 <= young_fast < cold_old <= 7200
    assert cold_old == 7200
    assert forecast.poll_delay_s([], 30.0, min_s=300, max_s=7200) == 300  # never below the floor


def test_spread_matters_for_a_racing_thread_and_not_for_a_quiet_one() -> None:
    racing = forecast.forecast([15.0 * k for k in range(1, 19)], 300.0, 72 * HOUR)
    quiet = forecast.forecast([3000.0], 6 * HOUR, 72 * HOUR)
    assert forecast.spread_matters(racing, 100)
    assert not forecast.spread_matters(quiet, 100)


def test_fit_forecast_on_copied_curves_writes_a_file_that_loads(tmp_path: Path) -> None:
    out = tmp_path / "forecast.json"
    assert fit_forecast.main(["--data", str(FIXTURE), "--out", str(out)]) == 0
    params = json.loads(out.read_text(encoding="utf-8"))
    assert params["fallback_kind"] == "forum-thread" and "forum-thread" in params["kinds"]
    assert 0.0 < params["spread"]["min_probability"] < 1.0
    fitted = forecast.load(out)
    f = fitted.forecast([60.0, 300.0, 600.0], 900.0, 24 * HOUR, "pantip")
    assert 3 <= f.low <= f.expected <= f.high


def test_fit_forecast_names_the_bad_line(tmp_path: Path) -> None:
    data = tmp_path / "threads.jsonl"
    good = (FIXTURE / "threads.jsonl").read_text(encoding="utf-8").splitlines()[0]
    data.write_text(good + "\n" + '{"thread_id": "x:1", "reply_times": [5, 3]}\n', encoding="utf-8")
    with pytest.raises(CurveError, match=r"threads.jsonl:2"):
        read_curves(data)
    assert fit_forecast.main(["--data", str(data), "--out", str(tmp_path / "out.json")]) == 2
    assert not (tmp_path / "out.json").exists()


def _curve(thread_id: str, times: list[float], observed_s: float | None = None) -> Curve:
    return Curve(thread_id, "test", "forum-thread", np.asarray(times, dtype=float), observed_s)


def test_the_replay_reads_only_at_poll_times_so_a_thread_past_20_at_its_first_read_is_never_caught() -> None:
    racing = _curve("t:racing", [0.5 * k for k in range(1, 150)])  # 149 replies in the first 75 s
    first = replay.first_read_s(racing.thread_id)
    trace = replay.replay(racing, lambda seen, age, kind: float(seen.size), replay.fixed_delay(300.0))
    assert 10.0 < first <= replay.LISTING_S  # this id's listing phase: 20 replies are out before it is seen
    assert list(trace.ages[:3]) == [first, first + 300.0, first + 600.0]
    assert trace.counts[0] >= 20
    assert trace.big and replay.outcome([trace], 1.0).flagged_before == 0


def test_the_threshold_flags_no_more_small_threads_than_allowed() -> None:
    small = [_curve(f"t:{k}", [60.0 * j for j in range(1, k + 1)]) for k in range(0, 19)]
    traces = [replay.replay(c, lambda seen, age, kind: float(seen.size), replay.fixed_delay(600.0)) for c in small]
    threshold = replay.threshold_for(traces, 0.10)
    assert replay.outcome(traces, threshold).small_flagged <= 1  # 10 % of 19
    assert replay.outcome(traces, threshold - 1).small_flagged > 1


def test_a_censored_curve_is_no_label_for_a_longer_horizon() -> None:
    short = _curve("t:short", [10.0, 20.0], observed_s=86_400.0)
    whole = _curve("t:whole", [10.0, 20.0])
    assert replay.labelled([short, whole]) == [whole]
