"""The rules that decide when a source is degraded, on plain state rows and a moving clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from listener.ingest import health
from listener.config.schema import HealthConfig
from listener.store.models import SourceState

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)
EVERY_5M = timedelta(minutes=5)


def _state() -> SourceState:
    return SourceState(name="pantip-mbk", kind="pantip", runs_total=0, errors_total=0, posts_total=0,
                       consecutive_failures=0, zero_result_streak=0)


def test_a_source_that_goes_silent_after_a_steady_rhythm_is_degraded_then_recovers() -> None:
    state, config = _state(), HealthConfig(silence_factor=6, min_silence="1h")
    for minute in range(0, 120, 10):  # new posts every 10 minutes for two hours
        health.record_success(state, new_posts=2, now=T0 + timedelta(minutes=minute))
        assert health.assess(state, interval=EVERY_5M, config=config, now=T0 + timedelta(minutes=minute)) is None
    quiet = T0 + timedelta(minutes=110)
    health.record_success(state, new_posts=0, now=quiet + timedelta(minutes=50))
    assert health.assess(state, interval=EVERY_5M, config=config, now=quiet + timedelta(minutes=50)) is None
    later = quiet + timedelta(minutes=65)  # > max(6 x 10 min, 1 h) without anything new
    health.record_success(state, new_posts=0, now=later)
    event = health.assess(state, interval=EVERY_5M, config=config, now=later)
    assert event is not None and event.kind == "degraded" and "no new posts" in event.reason
    health.record_success(state, new_posts=1, now=later + EVERY_5M)
    event = health.assess(state, interval=EVERY_5M, config=config, now=later + EVERY_5M)
    assert event is not None and event.kind == "recovered"


def test_a_quiet_source_with_no_known_rhythm_is_not_flagged() -> None:
    state = _state()
    health.record_success(state, new_posts=3, now=T0)
    health.record_success(state, new_posts=0, now=T0 + timedelta(days=2))
    assert health.assess(state, interval=EVERY_5M, config=HealthConfig(), now=T0 + timedelta(days=2)) is None


def test_failures_degrade_after_the_configured_count_and_layout_change_at_once() -> None:
    state, config = _state(), HealthConfig(failures_before_degraded=3)
    for n in range(2):
        health.record_failure(state, "FetchError: HTTP 503", now=T0 + n * EVERY_5M)
        assert health.assess(state, interval=EVERY_5M, config=config, now=T0 + n * EVERY_5M) is None
    health.record_failure(state, "FetchError: HTTP 503", now=T0 + 2 * EVERY_5M)
    event = health.assess(state, interval=EVERY_5M, config=config, now=T0 + 2 * EVERY_5M)
    assert event is not None and "3 failed runs in a row" in event.reason

    other = _state()
    health.record_failure(other, "ScrapeError: no topic title", now=T0)
    event = health.assess(other, interval=EVERY_5M, config=config, now=T0, layout_changed=True)
    assert event is not None and "layout" in event.reason
