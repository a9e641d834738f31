"""Digests: the low-severity lines a route collects (hourly or daily), the one catch-up message when a
route's quiet hours end, and the daily summary per watchlist with its chart.

Reads config keys `alerting.timezone`, `alerting.default_channel`, and each outbox row's route options
(`quiet_hours`, `digest_every`, stored from the watchlist's `route:` when the alert was decided).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from alerts.types import Alert
from listener.delivery.outbox import alert_from_payload, enqueue
from listener.store import incidents_repo, outbox_repo
from listener.store.models import OutboxRow

SUMMARY_TOP = 5
CHART_DAYS = 7


def in_quiet_hours(route_opts: dict[str, Any] | None, now: datetime) -> bool:
    quiet = (route_opts or {}).get("quiet_hours")
    if not quiet:
        return False
    local = now.astimezone(ZoneInfo(quiet.get("tz") or "Asia/Bangkok")).time()
    start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # spans midnight, e.g. 22:00–07:00


def digest_alert(channel: str, items: Sequence[Alert], title: str) -> Alert:
    worst = max((item.risk for item in items), default=0.0)
    return Alert(incident_id=0, revision=0, kind="digest", title=title, url="", excerpt="", lang="und", risk=worst,
                 reason=f"{len(items)} item(s)", watchlist="", severity="watch", channel=channel,
                 items=tuple(items))


def flush_digests(session: Any, now: datetime, timezone: str) -> int:
    """Turn queued digest lines into one digest per (channel, cadence) once their hour/day has ended."""
    groups: dict[tuple[str, str], list[OutboxRow]] = {}
    for row in outbox_repo.rows_with_status(session, "digest"):
        groups.setdefault((row.channel, (row.route_opts or {}).get("digest_every", "hourly")), []).append(row)
    made = 0
    for (channel, every), rows in groups.items():
        if _bucket(rows[0].created_at, every, timezone) >= _bucket(now, every, timezone):
            continue  # the hour (or day) the oldest line arrived in is still running
        label = "Hourly" if every == "hourly" else "Daily"
        alert = digest_alert(channel, latest_per_incident(rows), f"{label} digest: {len(rows)} low-risk thread(s)")
        enqueue(session, alert, key=f"digest:{channel}:{rows[0].id}", now=now, route_opts=rows[0].route_opts)
        for row in rows:
            row.status = "digested"
        made += 1
    return made


def release_held(session: Any, now: datetime) -> int:
    """Quiet hours over: everything held for a channel goes out as ONE catch-up digest."""
    groups: dict[str, list[OutboxRow]] = {}
    for row in outbox_repo.rows_with_status(session, "held"):
        if not in_quiet_hours(row.route_opts, now):
            groups.setdefault(row.channel, []).append(row)
    for channel, rows in groups.items():
        items: list[OutboxRow | Alert] = []
        for row in rows:
            alert = alert_from_payload(row.payload)
            items.extend(alert.items if alert.kind == "digest" else [row])
            row.status = "digested"
            if row.kind == "new" and row.incident_id:
                unannounce(session, row.incident_id)
        title = f"While quiet hours were on: {len(rows)} held alert(s)"
        # route options left out on purpose: the catch-up itself must never be held again
        lines = [current_state(session, alert) for alert in latest_per_incident(items)]
        enqueue(session, digest_alert(channel, lines, title),
                key=f"catchup:{channel}:{rows[0].id}", now=now)
    return len(groups)


def enqueue_daily_summaries(session: Any, watchlists: Iterable[Any], now: datetime, *, channel_of: Any,
                            timezone: str) -> int:
    """One summary per watchlist for the local day that ended before `now` (idempotent per day).

    A watchlist that matched no post that day gets none: "0 posts" every morning is noise, and its open
    incidents alone would be counted as posts of unknown sentiment."""
    tz = ZoneInfo(timezone)
    day_end = datetime.combine(now.astimezone(tz).date(), time(0), tz)
    day_start = day_end - timedelta(days=1)
    made = 0
    for watchlist in watchlists:
        counts = incidents_repo.sentiment_counts(session, watchlist.name, day_start, day_end)
        if not sum(counts.values()):
            continue
        top = incidents_repo.top_incidents(session, watchlist.name, day_start, SUMMARY_TOP)
        items = tuple(Alert(incident_id=i.id, revision=i.revision, kind="new", title=i.title, url=i.url,
                            excerpt="", lang=i.lang, risk=i.risk, reason=i.reason, watchlist=i.watchlist,
                            severity=i.severity, channel=i.channel or "") for i in top)
        alert = Alert(incident_id=0, revision=0, kind="summary", title=f"{watchlist.name}: {day_start:%Y-%m-%d}",
                      url="", excerpt="", lang="und", risk=max((i.risk for i in items), default=0.0),
                      reason=f"{sum(counts.values())} post(s)", watchlist=watchlist.name, severity="watch",
                      channel=channel_of(watchlist), items=items, counts=counts)
        if enqueue(session, alert, key=f"summary:{watchlist.name}:{day_start:%Y-%m-%d}", now=now) is not None:
            made += 1
    return made


def summary_chart_png(session: Any, watchlist: str, now: datetime, timezone: str) -> bytes | None:
    """The last week's posts per day and sentiment, as a PNG; None when matplotlib is unavailable."""
    try:
        from alerts.chart import summary_chart
    except ImportError:  # the chart is a nice-to-have; the summary text still goes out
        return None
    tz = ZoneInfo(timezone)
    today = datetime.combine(now.astimezone(tz).date(), time(0), tz)
    days: dict[str, dict[str, int]] = {}
    for back in range(CHART_DAYS, 0, -1):
        start = today - timedelta(days=back)
        days[f"{start:%m-%d}"] = incidents_repo.sentiment_counts(session, watchlist, start, start + timedelta(days=1))
    return summary_chart(days, f"{watchlist}: last {CHART_DAYS} days")


def _bucket(moment: datetime, every: str, timezone: str) -> datetime:
    local = moment.astimezone(ZoneInfo(timezone))
    if every == "daily":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.replace(minute=0, second=0, microsecond=0)


def latest_per_incident(entries: Sequence[OutboxRow | Alert]) -> list[Alert]:
    """One line per incident (its newest state), in the order incidents first appeared."""
    latest: dict[Any, Alert] = {}
    for index, entry in enumerate(entries):
        alert = entry if isinstance(entry, Alert) else alert_from_payload(entry.payload)
        latest[alert.incident_id or f"_{index}"] = alert
    return list(latest.values())


def current_state(session: Any, alert: Alert) -> Alert:
    """A held line shows its incident as it is now, not as it was when the line was held."""
    incident = incidents_repo.get_incident(session, alert.incident_id) if alert.incident_id else None
    if incident is None:
        return alert
    return replace(alert, title=incident.title, risk=incident.risk, severity=incident.severity,
                   reason=incident.reason, revision=incident.revision)


def unannounce(session: Any, incident_id: int) -> None:
    # its "new" went into a digest instead, so a later rise may still earn the incident its own message
    incident = incidents_repo.get_incident(session, incident_id)
    if incident is not None and incident.message_ts is None:
        incident.announced_at = None
