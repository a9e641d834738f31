"""Risk is monotone and explains itself; growth reads snapshots."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from listener.config.alerting import Tiers
from listener.incidents.growth import Growth, thread_growth
from listener.incidents.risk import assess
from sentiment.types import Verdict
from tests.listener.test_incidents_world import World


def _verdict(complaint: float, negative: float, cues: tuple[str, ...] = ()) -> Verdict:
    return Verdict("th", "negative", {"negative": negative, "neutral": 1 - negative}, complaint, cues, "t")


def test_raising_any_input_never_lowers_the_risk() -> None:
    levels = (0.0, 0.3, 0.7, 1.0)
    cue_sets = ((), ("ฟ้อง",), ("ฟ้อง", "สคบ."))
    speeds = (0.0, 5.0, 50.0, 500.0)
    comments = (0, 10, 1000)
    priorities = (0.5, 1.0, 2.0)

    def score(c: float, n: float, k: int, s: float, e: int, p: float) -> float:
        growth = Growth(comments_per_hour=s)
        return assess(_verdict(c, n, cue_sets[k]), p, growth, {"comments": e}).score

    axes = (levels, levels, range(3), speeds, comments, priorities)
    for point in itertools.product(*axes):
        base = score(*point)
        assert 0.0 <= base <= 1.0
        for i, axis in enumerate(axes):
            position = list(axis).index(point[i])
            if position + 1 < len(axis):
                higher = list(point)
                higher[i] = list(axis)[position + 1]
                assert score(*higher) >= base - 1e-9, (point, i)


def test_a_loud_thread_without_a_complaint_stays_below_watch() -> None:
    growth = Growth(comments_per_hour=300, engagement={"comments": 5000})
    assert assess(_verdict(0.02, 0.05), 1.0, growth, growth.engagement).score < 0.45


def test_reason_is_one_line_naming_the_evidence() -> None:
    growth = Growth(comments_per_hour=42, engagement={"comments": 120})
    reason = assess(_verdict(0.91, 0.8, ("ฟ้อง", "สคบ.")), 1.5, growth, growth.engagement).reason
    assert reason.startswith("complaint 0.91 · negative 0.80 · cues: ฟ้อง, สคบ. · +42 comments/h")
    assert "priority ×1.5" in reason and "\n" not in reason


def test_growth_rate_and_acceleration_from_snapshots(tmp_path: Path) -> None:
    world = World(tmp_path)
    for comments in (0, 10, 50):  # +10 in the first hour, +40 in the second
        world.snapshot(comments=comments, reactions=comments * 2)
        world.clock.advance(hours=1)
    with world.store.session() as s:
        growth = thread_growth(s, "pantip", "T1", world.clock())
    assert growth.comments_per_hour == 40 and growth.acceleration == 30
    assert growth.engagement == {"comments": 50, "reactions": 100}


def _content_at(target: float) -> Verdict:
    """A verdict whose text alone scores `target` (complaint only, no negativity or cues)."""
    return _verdict(target / 0.7, 0.0)


def test_growth_alone_lifts_a_watch_level_complaint_to_critical() -> None:
    tiers = Tiers()  # the defaults: watch 0.45, high 0.65, critical 0.85
    text = _content_at(tiers.watch)
    calm = assess(text, 1.0, Growth(), {})
    assert tiers.severity_of(calm.score) == "watch"
    # a few comments are any thread's chatter: one comment 15 minutes in reads as 4/h (and 4/h of acceleration)
    chatter = Growth(comments_per_hour=4, acceleration=4, engagement={"comments": 1})
    assert tiers.severity_of(assess(text, 1.0, chatter, chatter.engagement).score) == "watch"
    assert tiers.severity_of(assess(text, 1.0, Growth(comments_per_hour=10), {"comments": 10}).score) == "watch"
    assert tiers.severity_of(assess(text, 1.0, Growth(comments_per_hour=30), {}).score) == "high"
    assert tiers.severity_of(assess(text, 1.0, Growth(comments_per_hour=100), {}).score) == "critical"
    below_watch = _content_at(0.40)
    assert tiers.severity_of(assess(below_watch, 1.0, Growth(comments_per_hour=500), {}).score) == "high"


def test_growth_never_makes_a_complaint_out_of_noise() -> None:
    noise = _content_at(0.08)
    growth = Growth(comments_per_hour=1000, acceleration=1000)
    assert assess(noise, 1.0, growth, {"comments": 100_000, "shares": 10_000}).score == pytest.approx(0.08, abs=1e-3)
