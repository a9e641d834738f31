"""Complaint risk of one post in its thread: a score in 0..1 and one human line saying why.

Reads no config directly; the caller passes the watchlist's `priority`. The score is built so that raising
any input never lowers it (monotone), which keeps alerts explainable:

1. content = 1 - (1 - 0.7·complaint)(1 - 0.3·negative)(1 - cue)   where cue = 1 - 0.75^(number of cues)
   (a noisy-OR: each kind of evidence can raise the score, none can lower it)
2. amplification a = 1 - (1 - 0.4·reach)(1 - speed), both in 0..1 on log scales that start above what every
   thread shows (reach: 0 up to 10 engagements, 1 at 1,000; speed: 0 up to 10 comments/hour, 1 at 100, or as
   sharp an acceleration); speed alone can reach 1, accumulated reach alone 0.4. The floors are why a thread's
   first few comments move nothing: one comment read 15 minutes after the topic is "4 comments/hour", and
   replaying the dev growth curves (`fangsiang backtest --threads`) showed that with scales starting at zero
   every small thread with a single reply was lifted from watch to high. Early spread is the forecast's job.
3. growth multiplies the odds of the content: odds(score) = odds(content) · GROWTH_ODDS^(a·g), where the gate
   g = clamp((content - 0.1) / 0.3, 0, 1) keeps a loud thread with no complaint in it where its text puts it
   and gives growth its full weight from content 0.4 up
4. priority p multiplies the odds: score' = p·s / (p·s + 1 - s); p = 1 leaves it unchanged.

What growth alone may reach (GROWTH_ODDS = 8): at full speed (≈100 comments/hour) a text at the default watch
tier (content 0.45) reaches 0.87, critical under the default tiers (0.45 / 0.65 / 0.85); a text just under
watch (0.40) reaches 0.84, high; one with almost no complaint in it (content ≤ 0.1) is not lifted at all.
Up to 10 comments/hour leave it at watch, 30 lift it to 0.69 (high), 50 to 0.78. So growth can take a
complaint two tiers up, never make a complaint out of noise. The spread forecast acts on the tier, not here
(see `tiers.py`): it is what flags a thread that is still small but on its way to being big.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from listener.incidents.growth import Growth
from sentiment.types import Verdict

NEGATIVE_PREFIXES = ("neg",)  # model labels are configurable; "negative", "neg", "NEGATIVE" all count
GROWTH_ODDS = 8.0  # the most growth multiplies a complaint's odds by: watch -> critical (x6.9) fits, with room
GATE_FROM, GATE_FULL = 0.1, 0.4  # content below GATE_FROM gets no lift; from GATE_FULL up, the full lift
SPEED_FROM, SPEED_FULL = 10.0, 100.0  # comments/hour: below SPEED_FROM is any thread's chatter; full lift at 100
REACH_FROM, REACH_FULL = 10.0, 1000.0  # engagements: the same for a thread's accumulated audience


@dataclass(frozen=True)
class RiskAssessment:
    score: float
    reason: str
    content: float = 0.0  # the part of the score that comes from the text alone


def assess(verdict: Verdict, priority: float, growth: Growth, engagement: Any) -> RiskAssessment:
    """Score one post: its verdict, the watchlist priority, the thread's growth and engagement."""
    negative = negative_probability(verdict.probs)
    content = content_score(verdict.complaint, negative, len(verdict.cues))
    eng = _engagement_dict(engagement)
    score = amplified(content, amplification(reach_score(eng), speed_score(growth)))
    score = _apply_priority(score, priority)
    return RiskAssessment(round(min(1.0, max(0.0, score)), 4), explain(verdict, negative, growth, eng, priority),
                          round(content, 4))


def content_score(complaint: float, negative: float, cues: int) -> float:
    cue = 1 - 0.75 ** max(0, cues)
    return 1 - (1 - 0.7 * _unit(complaint)) * (1 - 0.3 * _unit(negative)) * (1 - cue)


def amplification(reach: float, speed: float) -> float:
    """0..1: how much the thread's audience and pace amplify what its text says."""
    return 1 - (1 - 0.4 * _unit(reach)) * (1 - _unit(speed))


def amplified(content: float, a: float) -> float:
    """The content score with its odds multiplied by up to GROWTH_ODDS, gated by how much complaint it holds."""
    content = _unit(content)
    if content >= 1 or content <= 0:
        return content
    gate = _unit((content - GATE_FROM) / (GATE_FULL - GATE_FROM))
    odds = content / (1 - content) * GROWTH_ODDS ** (_unit(a) * gate)
    return odds / (1 + odds)


def reach_score(eng: Mapping[str, int]) -> float:
    # shares spread a complaint further than likes; views are cheap
    total = (eng.get("comments", 0) + eng.get("reactions", 0) + eng.get("likes", 0)
             + 3 * eng.get("shares", 0) + eng.get("views", 0) / 100)
    return _log_scale(total, REACH_FROM, REACH_FULL)


def speed_score(growth: Growth) -> float:
    per_hour = max(growth.comments_per_hour, 0.0) + max(growth.reactions_per_hour, 0.0) / 5
    accel = max(growth.acceleration, 0.0)
    return max(_log_scale(per_hour, SPEED_FROM, SPEED_FULL), _log_scale(accel, SPEED_FROM, SPEED_FULL))


def _log_scale(value: float, start: float, full: float) -> float:
    """0 up to `start`, 1 from `full`, logarithmic in between."""
    if value <= start:
        return 0.0
    return min(1.0, math.log10(value / start) / math.log10(full / start))


def negative_probability(probs: Mapping[str, float]) -> float:
    values = [p for label, p in probs.items() if label.lower().startswith(NEGATIVE_PREFIXES)]
    return max(values, default=0.0)


def explain(verdict: Verdict, negative: float, growth: Growth, eng: Mapping[str, int], priority: float) -> str:
    """One line, most important first: "complaint 0.91 · cues: ฟ้อง, สคบ. · +42 comments/h"."""
    parts = [f"complaint {verdict.complaint:.2f}"]
    if negative >= 0.5:
        parts.append(f"negative {negative:.2f}")
    if verdict.cues:
        parts.append("cues: " + ", ".join(verdict.cues[:4]))
    if growth.comments_per_hour >= 1:
        parts.append(f"+{growth.comments_per_hour:.0f} comments/h")
    if growth.acceleration >= 5:
        parts.append("accelerating")
    if eng.get("comments"):
        parts.append(f"{eng['comments']:,} comments")
    if eng.get("shares"):
        parts.append(f"{eng['shares']:,} shares")
    if priority != 1:
        parts.append(f"priority ×{priority:g}")
    return " · ".join(parts)


def _apply_priority(score: float, priority: float) -> float:
    p = max(priority, 0.0)
    if score >= 1 or p == 0:
        return score if p else 0.0
    return p * score / (p * score + (1 - score))


def _unit(x: float) -> float:
    return min(1.0, max(0.0, x))


def _engagement_dict(engagement: Any) -> dict[str, int]:
    if engagement is None:
        return {}
    if isinstance(engagement, Mapping):
        return {k: int(v) for k, v in engagement.items() if isinstance(v, (int, float))}
    names = ("comments", "likes", "shares", "views", "reactions")
    return {n: int(getattr(engagement, n)) for n in names if getattr(engagement, n, None) is not None}
