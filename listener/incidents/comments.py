"""Risky comments in an incident's Slack thread: the first few get a reply each, the rest are summarised.

Reads each route's `comment_replies` (how many comments are told one by one; null: all of them) and
`comment_summary_minutes` (the least time between two summaries). Past the cap a comment is counted and kept
among the incident's top three by risk; once the summary interval has passed since the cap was reached (or
since the last summary) the next look at the incident posts one reply: "+37 more risky comments, top 3: …".
Whatever is still held when the incident closes is summarised then. The tally lives on the incident
(`comment_tally`), so it survives restarts and is shared by every worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from listener.config.alerting import Route
from listener.store.models import Incident, PostRow

TOP = 3
EXCERPT = 140


@dataclass(frozen=True)
class RiskyComment:
    post: PostRow
    risk: float
    reason: str  # the comment's own one-line why, not its incident's


@dataclass(frozen=True)
class Summary:
    """What the held comments add up to, ready to post; `number` makes its idempotency key."""

    number: int
    count: int
    top: list[dict[str, Any]]

    def excerpt(self) -> str:
        lines = [f"+{self.count} more risky comment{'s' if self.count != 1 else ''}, top {len(self.top)}:"]
        lines += [f"{i}. ({c['risk']:.2f}) {c['text']}" for i, c in enumerate(self.top, 1)]
        return "\n".join(lines)


def tell_or_hold(incident: Incident, route: Route, comment: RiskyComment, now: datetime) -> bool:
    """Count a risky comment; True when it gets a reply of its own, False when it waits for a summary."""
    tally = dict(incident.comment_tally or {"told": 0, "held": 0, "top": [], "summaries": 0})
    if comment.post.id <= tally.get("through", 0):
        return False  # seen already (the same post observed again): neither told nor counted twice
    tally["through"] = comment.post.id
    own = route.comment_replies is None or tally["told"] < route.comment_replies
    if own:
        tally["told"] += 1
        if route.comment_replies is not None and tally["told"] >= route.comment_replies:
            tally.setdefault("summarised_at", now.isoformat())  # the first summary waits one interval from here
    else:
        tally["held"] += 1
        tally["top"] = _top(tally["top"] + [_entry(comment)])
    incident.comment_tally = tally  # a new dict, so the JSON column is written
    return own


def due_summary(incident: Incident, route: Route, now: datetime, *, closing: bool = False) -> Summary | None:
    """The summary to post now, if comments are held and the interval has passed (or the incident closes);
    the tally starts over from it."""
    tally = dict(incident.comment_tally or {})
    if not tally.get("held"):
        return None
    last = datetime.fromisoformat(tally.get("summarised_at") or now.isoformat())
    if not closing and now < last + timedelta(minutes=route.comment_summary_minutes):
        return None
    summary = Summary(int(tally.get("summaries", 0)) + 1, int(tally["held"]), list(tally["top"]))
    tally.update(held=0, top=[], summaries=summary.number, summarised_at=now.isoformat())
    incident.comment_tally = tally
    return summary


def _entry(comment: RiskyComment) -> dict[str, Any]:
    text = " ".join(comment.post.text.split())
    return {"id": comment.post.id, "risk": round(comment.risk, 4), "url": comment.post.url or "",
            "text": text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"}


def _top(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda e: (-e["risk"], e["id"]))[:TOP]
