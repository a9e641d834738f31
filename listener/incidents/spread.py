"""A watched thread's spread forecast, as the incident engine uses it: the tier floor a watchlist's `spread`
rule gives, and the one line the card and its reason show ("≈140 comments in 24 h, now 12, rising").

Reads each watchlist's `spread` (`comments`, `within`, `tier`). The forecast itself is
`listener.incidents.forecast` (fitted on public growth curves; Pantip and other forums use its forum-thread
model); this module only turns stored comment times into its input and its answer into a tier and words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from listener.config.alerting import Spread
from listener.incidents.forecast import Forecast, forecast, spread_matters

# Forecast kinds by scraper kind: reshare cascades grow differently from forum threads; the rest are forums.
FORECAST_KINDS = {"x": "retweet-cascade", "bluesky": "retweet-cascade", "mastodon": "retweet-cascade",
                  "weibo": "retweet-cascade", "facebook": "fb-comment-thread", "youtube": "fb-comment-thread"}


def thread_forecast(comment_times: Sequence[datetime], started_at: datetime | None, now: datetime,
                    spread: Spread | None, source_kind: str) -> Forecast | None:
    """The forecast for the watchlist's horizon; None without a rule, without the topic's time, or once the
    horizon has passed (the count is known then, and growth speaks for itself)."""
    if spread is None or started_at is None:
        return None
    age = (now - started_at).total_seconds()
    if not 0 <= age < spread.horizon_s():
        return None
    times = [max(0.0, (t - started_at).total_seconds()) for t in comment_times if t <= now]
    return forecast(sorted(times), age, spread.horizon_s(), FORECAST_KINDS.get(source_kind, "forum-thread"))


def spread_floor(f: Forecast | None, spread: Spread | None) -> str | None:
    """The tier the spread rule holds the incident at, or None when the forecast does not say it matters."""
    if f is None or spread is None or not spread_matters(f, spread.comments):
        return None
    return spread.tier


def forecast_line(f: Forecast) -> str:
    """"≈140 comments in 24 h, now 12, rising"."""
    hours = f.horizon_s / 3600
    within = f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"
    return f"≈{f.expected:,.0f} comments in {within}, now {f.now_count:,}, {f.trend}"


def forecast_record(f: Forecast, floor: str | None) -> dict[str, Any]:
    """What the incident keeps of its latest forecast (the card's line, and the numbers behind it)."""
    return {"line": forecast_line(f), "expected": round(f.expected, 1), "low": round(f.low, 1),
            "high": round(f.high, 1), "now": f.now_count, "horizon_s": f.horizon_s, "trend": f.trend,
            "method": f.method, "floor": floor}
