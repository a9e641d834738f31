"""What `fangsiang backtest --since` prints: per local day and tier the incidents opened, the escalations and
the Slack messages (digests and daily summaries included, edits in place not), with totals, a few examples
per tier, and what the live daemon recorded for the same window; `--json` gives the same as one object.

Reads config keys `alerting.timezone` (the days are local days) and `storage.keep_text_days`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from listener.config import LoadedConfig
from listener.config.alerting import SEVERITY_ORDER
from listener.incidents.tiers import highest

SUMMARY = "summary"  # the daily summaries' row: they belong to no tier
TIERS = (*SEVERITY_ORDER, SUMMARY)
COUNTS = ("incidents", "escalations", "messages", "digests")


@dataclass
class Counts:
    incidents: int = 0
    escalations: int = 0
    messages: int = 0
    digests: int = 0  # of the messages: digests and quiet-hours catch-ups

    def add(self, other: "Counts") -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    watchlists: list[str]
    since: str
    until: str
    timezone: str
    posts: dict[str, Any]
    days: list[dict[str, Any]] = field(default_factory=list)  # {"day", "tier", counts...}, tiers in order
    totals: dict[str, dict[str, int]] = field(default_factory=dict)  # tier (and "all") -> counts
    message_kinds: dict[str, int] = field(default_factory=dict)
    edits: int = 0  # edits in place of messages already sent (they notify nobody)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    live: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_report(loaded: LoadedConfig, watchlists: Any, window: Any, recorded: Any, result: Any,
                 since: datetime, until: datetime, examples: int = 3) -> Report:
    tz = ZoneInfo(loaded.config.alerting.timezone)
    names = [w.name for w in watchlists]
    report = Report(watchlists=names, since=since.isoformat(timespec="seconds"),
                    until=until.isoformat(timespec="seconds"), timezone=loaded.config.alerting.timezone,
                    posts=_posts(window, result, names))
    cells: dict[tuple[str, str], Counts] = {}

    def cell(moment: datetime, tier: str) -> Counts:
        return cells.setdefault((moment.astimezone(tz).date().isoformat(), tier), Counts())

    for opened in result.opened:
        cell(opened.at, opened.severity).incidents += 1
    escalated: set[tuple[int, int]] = set()
    for sent in result.sent:
        alert = sent.alert
        if alert.kind == "update":
            report.edits += 1
            continue
        report.message_kinds[alert.kind] = report.message_kinds.get(alert.kind, 0) + 1
        counts = cell(sent.at, message_tier(alert))
        counts.messages += 1
        counts.digests += alert.kind == "digest"
        if alert.kind == "escalation" and (alert.incident_id, alert.revision) not in escalated:
            escalated.add((alert.incident_id, alert.revision))  # its copy to the escalation channel is one more message
            counts.escalations += 1
    order = {tier: n for n, tier in enumerate(TIERS)}
    for (day, tier), counts in sorted(cells.items(), key=lambda item: (item[0][0], order.get(item[0][1], 99))):
        report.days.append({"day": day, "tier": tier, **asdict(counts)})
    report.totals = _totals(cells)
    report.examples = _examples(result.opened, examples, tz)
    report.live = _live(recorded)
    report.notes = _notes(loaded, report.posts)
    return report


def message_tier(alert: Any) -> str:
    """A message's tier: its own, or for a digest or group the highest of the incidents it lists."""
    if alert.kind == SUMMARY:
        return SUMMARY
    if alert.kind in ("digest", "group") and alert.items:
        return highest(*(item.severity for item in alert.items)) or alert.severity
    return alert.severity


def _totals(cells: dict[tuple[str, str], Counts]) -> dict[str, dict[str, int]]:
    totals = {tier: Counts() for tier in TIERS}
    everything = Counts()
    for (_, tier), counts in cells.items():
        totals.setdefault(tier, Counts()).add(counts)
        everything.add(counts)
    return {**{tier: asdict(c) for tier, c in totals.items() if any(asdict(c).values())}, "all": asdict(everything)}


def _posts(window: Any, result: Any, names: list[str]) -> dict[str, Any]:
    posts = window.posts
    return {
        "in_window": len(posts),
        "context_topics": len(window.context),  # older topics of threads with posts in the window
        "backfill": sum(p.backfill for p in posts),  # read on a source's first run: never alerted, as live
        "expired_text": sum(p.text_expired_at is not None for p in posts),
        "without_text": sum(not (p.title or "").strip() and not (p.text or "").strip() for p in posts),
        "stored_scores": sum(p.id in window.verdicts for p in posts),
        "rescored": result.rescored,
        "matched_now": result.matched_posts,
        "matched_live": sum(any(n in names for n in window.matched.get(p.id, ())) for p in posts),
    }


def _examples(opened: list[Any], per_tier: int, tz: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    examples: dict[str, list[dict[str, Any]]] = {}
    for tier in reversed(SEVERITY_ORDER):
        riskiest = sorted((o for o in opened if o.severity == tier), key=lambda o: (-o.incident.risk, o.at))
        chosen = [{"title": o.incident.title, "url": o.incident.url, "risk": round(o.incident.risk, 2),
                   "reason": o.incident.reason, "watchlist": o.incident.watchlist,
                   "opened": o.at.astimezone(tz).isoformat(timespec="minutes")} for o in riskiest[:per_tier]]
        if chosen:
            examples[tier] = chosen
    return examples


def _live(recorded: Any) -> dict[str, Any]:
    by_tier = Counter(i.severity for i in recorded.incidents)  # their tier now: the live store keeps no history
    return {"incidents": len(recorded.incidents), "incidents_by_tier": dict(by_tier),
            "messages": len(recorded.messages)}


def _notes(loaded: LoadedConfig, posts: dict[str, Any]) -> list[str]:
    notes = []
    storage = loaded.config.storage
    if posts["expired_text"]:
        how = "emptied" if storage.expired_text == "drop" else "masked"
        notes.append(f"{posts['expired_text']} post(s) had their text {how} by storage.keep_text_days "
                     f"({storage.keep_text_days} days), {posts['without_text']} with no text left: they were "
                     "matched on what is left")
    elif posts["without_text"]:
        notes.append(f"{posts['without_text']} post(s) have no stored text and cannot match a term")
    if posts["backfill"]:
        notes.append(f"{posts['backfill']} post(s) were read on a source's first run (backfill): matched and "
                     "counted, never alerted, as in the daemon")
    if posts["rescored"]:
        notes.append(f"{posts['rescored']} matched post(s) had no stored score and were judged by the configured "
                     "model now")
    return notes


# -- printing -------------------------------------------------------------------------------------------
def print_json(report: Report) -> None:
    print(json.dumps(asdict(report), ensure_ascii=False, indent=2))


def print_table(report: Report) -> None:
    print("\n".join(table_lines(report)))


def table_lines(report: Report) -> list[str]:
    posts, live, total = report.posts, report.live, report.totals["all"]
    lines = [f"backtest of {', '.join(report.watchlists)}: posts from {report.since} to {report.until} "
             f"(days in {report.timezone})",
             f"  {posts['in_window']} stored posts, {posts['matched_now']} matched now "
             f"(matched live: {posts['matched_live']}); scores: {posts['stored_scores']} stored, "
             f"{posts['rescored']} judged by the model now"]
    lines += [f"  note: {note}" for note in report.notes]
    header = f"{'day':<12}{'tier':<10}{'incidents':>10}{'escalations':>13}{'messages':>10}{'digests':>9}"
    lines += ["", header, "-" * len(header)]
    for row in report.days:
        lines.append(_row(row["day"], row["tier"], row))
    if not report.days:
        lines.append("(no incident, escalation or message on any day)")
    lines.append("-" * len(header))
    for tier, counts in report.totals.items():
        lines.append(_row("total", tier, counts))
    lines += ["", f"now: {total['incidents']} incidents, {total['escalations']} escalations, "
                  f"{total['messages']} Slack messages ({_kinds(report.message_kinds)}; "
                  f"{report.edits} edits in place not counted)",
              f"was: {live['incidents']} incidents{_by_tier(live['incidents_by_tier'])}, {live['messages']} Slack "
              f"messages recorded by the live daemon in the same window"]
    if report.examples:
        lines += ["", "examples:"]
    for tier, examples in report.examples.items():
        lines.append(f"  {tier}")
        for example in examples:
            lines.append(f"    {example['risk']:.2f}  {example['title']}  {example['url']}")
            lines.append(f"          {example['reason']}")
    return lines


def _row(day: str, tier: str, counts: dict[str, int]) -> str:
    return (f"{day:<12}{tier:<10}{counts['incidents']:>10}{counts['escalations']:>13}{counts['messages']:>10}"
            f"{counts['digests']:>9}")


def _by_tier(counts: dict[str, int]) -> str:
    parts = [f"{tier} {counts[tier]}" for tier in SEVERITY_ORDER if counts.get(tier)]
    return f" ({', '.join(parts)})" if parts else ""


def _kinds(kinds: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "none"
