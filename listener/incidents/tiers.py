"""Which tier an incident is at, and whether a rise is news: the rules between a risk score and a ping.

Reads config keys `alerting.tier_hysteresis`, `alerting.tier_memory_hours` (passed in by the engine) and each
watchlist's `tiers`, `route.min_severity` and `spread`.

- Hysteresis: rising into a tier takes its threshold; leaving it takes falling `hysteresis` below it, so a
  score wobbling around a threshold does not flip the card back and forth.
- Audience: critical needs evidence that people see the thread (a comment, reaction, like, share or view
  counted, or growth); a post nobody has engaged with is at most high, however alarming its text.
- Spread: a watchlist's `spread` rule lifts an incident to its `tier` while the forecast says the thread will
  pass `comments` within `within` (never lower: the text and growth may say more).
- Memory: a rise to a tier already announced is news again only after `memory` without reaching it; a
  down-and-up inside that window edits the card silently.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Mapping

from listener.config.alerting import SEVERITY_ORDER, Tiers


def rank(severity: str | None) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else -1


def highest(*severities: str | None) -> str | None:
    return max(severities, key=rank)


def tier_of(score: float, tiers: Tiers, *, current: str | None = None, hysteresis: float = 0.0) -> str | None:
    """The tier of `score`; an incident at `current` keeps it (or the tier below) inside the hysteresis band."""
    plain = tiers.severity_of(score)
    if current is None or rank(plain) >= rank(current):
        return plain
    for name in reversed(SEVERITY_ORDER[rank(plain) + 1:rank(current) + 1]):
        if score >= getattr(tiers, name) - hysteresis:
            return name
    return plain


def seen_by_anyone(engagement: Mapping[str, int], comments_per_hour: float, reactions_per_hour: float) -> bool:
    """Whether anything shows that people see the thread: any counter above zero, or any growth."""
    return any(v > 0 for v in engagement.values()) or comments_per_hour > 0 or reactions_per_hour > 0


def audience_cap(severity: str | None, seen: bool) -> str | None:
    """Critical only for a thread someone has engaged with."""
    if not seen and severity == "critical":
        return "high"
    return severity


def is_new_rise(severity: str, announced: str | None, last_at_announced: datetime | None, now: datetime,
                memory: timedelta) -> bool:
    """Whether an up-move to `severity` is worth pinging for, given the highest tier announced so far."""
    if rank(severity) > rank(announced):
        return True
    return last_at_announced is None or now - last_at_announced > memory
