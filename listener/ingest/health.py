"""Source health: counts runs, failures and silent stretches, and decides when a source is degraded.

A source is degraded
- after `health.failures_before_degraded` consecutive failures;
- at once when its pages stop matching the parser (layout change);
- as soon as it fails the same way twice in a row with an error retrying cannot fix (a parse or store
  error, a 4xx, a refused redirect: it will not fix itself);
- when two runs in a row had to set posts aside as unstorable;
- when it has returned no new posts for `health.silence_factor` times its own usual gap between new posts
  (learned as a moving average; at least `health.min_silence`).
It is reported once to the ops channel, reminded every `health.remind_every`, and reported again when it
recovers. Reads config keys under `health:`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from listener.config.schema import HealthConfig, parse_duration
from listener.store.models import SourceState


@dataclass(frozen=True)
class HealthEvent:
    source: str
    kind: str  # "degraded" | "reminder" | "recovered"
    reason: str
    since: datetime  # when the degraded spell began
    at: datetime  # when this event happened

    @property
    def key(self) -> str:
        """Idempotency key: one alert per event of one degraded spell."""
        return f"health:{self.source}:{self.since.isoformat()}:{self.kind}:{self.at.isoformat()}"


def record_success(state: SourceState, *, new_posts: int, now: datetime, rejected: int = 0,
                   rejection: str | None = None) -> None:
    """Count a stored run; `rejected` posts of it were set aside, the last one for `rejection`."""
    state.runs_total += 1
    state.rejected_total = (state.rejected_total or 0) + rejected
    state.rejection_streak = (state.rejection_streak or 0) + 1 if rejected else 0
    if rejected:
        state.last_rejection = (rejection or "")[:2000]
    state.last_run_at = state.last_success_at = now
    state.consecutive_failures = 0
    state.posts_total += new_posts
    if new_posts:
        if state.last_new_posts_at is not None:
            gap = (now - state.last_new_posts_at).total_seconds()
            state.typical_gap_s = gap if state.typical_gap_s is None else 0.7 * state.typical_gap_s + 0.3 * gap
        state.zero_result_streak = 0
        state.last_new_posts_at = now
    else:
        state.zero_result_streak += 1


def record_failure(state: SourceState, error: str, *, now: datetime, transient: bool = False) -> bool:
    """Count a failed run; True when it failed exactly as the run before and retrying cannot help
    (`transient` is for network errors and 5xx/429 answers that outlasted their retries)."""
    error = error[:2000]
    # First lines only: a database error goes on with the statement and its parameters (times, ids).
    repeated = (not transient and state.consecutive_failures > 0
                and (state.last_error or "").split("\n", 1)[0] == error.split("\n", 1)[0])
    state.runs_total += 1
    state.errors_total += 1
    state.consecutive_failures += 1
    state.last_run_at = state.last_error_at = now
    state.last_error = error
    return repeated


def assess(state: SourceState, *, interval: timedelta, config: HealthConfig, now: datetime,
           layout_changed: bool = False, repeated: bool = False) -> HealthEvent | None:
    """Update the degraded flag; return the event to report, if any."""
    reason = _problem(state, interval, config, now, layout_changed, repeated)
    if reason and state.degraded_since is None:
        state.degraded_since, state.degraded_reason, state.degraded_notified_at = now, reason, now
        return HealthEvent(state.name, "degraded", reason, now, now)
    if reason and state.degraded_notified_at is not None:
        state.degraded_reason = reason
        if now - state.degraded_notified_at >= parse_duration(config.remind_every):
            state.degraded_notified_at = now
            return HealthEvent(state.name, "reminder", reason, state.degraded_since or now, now)
        return None
    if not reason and state.degraded_since is not None:
        since = state.degraded_since
        state.degraded_since = state.degraded_reason = state.degraded_notified_at = None
        return HealthEvent(state.name, "recovered", f"working again (degraded since {since:%Y-%m-%d %H:%M} UTC)",
                           since, now)
    return None


def _problem(state: SourceState, interval: timedelta, config: HealthConfig, now: datetime,
             layout_changed: bool, repeated: bool = False) -> str | None:
    if layout_changed:
        return f"pages no longer match the parser (layout change?): {state.last_error or ''}".strip()
    if repeated:
        return f"fails the same way on every run ({state.consecutive_failures} in a row): {state.last_error}"
    if state.consecutive_failures == 0 and (state.rejection_streak or 0) >= 2:
        return (f"posts set aside as unstorable in {state.rejection_streak} runs in a row "
                f"(see fangsiang status); last: {state.last_rejection}")
    if state.consecutive_failures >= config.failures_before_degraded:
        return f"{state.consecutive_failures} failed runs in a row; last error: {state.last_error}"
    last_new, gap = state.last_new_posts_at, state.typical_gap_s
    if last_new is None or gap is None:  # the source's rhythm is not known yet
        return None
    rhythm = timedelta(seconds=max(gap, interval.total_seconds()))
    silence = max(rhythm * config.silence_factor, parse_duration(config.min_silence))
    if state.consecutive_failures == 0 and now - last_new > silence:
        hours = (now - last_new).total_seconds() / 3600
        return f"no new posts for {hours:.1f} h (usually every {rhythm.total_seconds() / 3600:.1f} h)"
    return None
