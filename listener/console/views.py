"""What each console page shows, read from the store, and the few things the console may change (acknowledge,
snooze, re-send, silence), done through the daemon's own functions. No web framework here.

Reads config keys `alerting.timezone` (times are shown in it) and the watchlists (the "try it" box).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Sequence

from listener.config.alerting import AlertingConfig
from listener.console.chart import GrowthChart, growth_chart
from listener.delivery import silences
from listener.delivery.outbox import requeue_dead
from listener.incidents.engine import IncidentEngine
from listener.incidents.growth import Growth, thread_growth
from listener.incidents.risk import assess
from listener.store import Store, console_repo, incidents_repo, silences_repo, sources_repo
from listener.store.console_repo import IncidentFilter, ThreadPost
from listener.store.models import Incident

log = logging.getLogger(__name__)


@dataclass
class ConsoleContext:
    """What the console works with; the daemon passes its own parts, `fangsiang console` builds them."""

    store: Store
    alerting: AlertingConfig
    watchlists: Callable[[], Any]  # the live WatchlistSet
    backend: Callable[[], Any]  # the scoring model (loaded on first use when the console runs alone)
    clock: Callable[[], datetime]
    read_only: bool = False
    engine: IncidentEngine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = IncidentEngine(self.alerting, self.clock)


@dataclass(frozen=True)
class IncidentLine:
    incident: Incident
    growth: Growth
    age: timedelta


def incident_lines(ctx: ConsoleContext, wanted: IncidentFilter) -> list[IncidentLine]:
    now = ctx.clock()
    with ctx.store.session() as session:
        found = console_repo.incidents(session, wanted)
        return [IncidentLine(i, thread_growth(session, i.source, i.thread_id, now), now - i.opened_at) for i in found]


def watchlist_names(ctx: ConsoleContext) -> list[str]:
    with ctx.store.session() as session:
        seen = console_repo.incident_watchlists(session)
    return sorted(set(seen) | {w.name for w in ctx.watchlists()})


@dataclass(frozen=True)
class IncidentPage:
    incident: Incident
    posts: list[ThreadPost]
    chart: GrowthChart | None
    forecast: Any | None
    messages: Sequence[Any]
    silenced_by: dict[int, Any]  # outbox row id -> the silence that suppressed it
    growth: Growth


def incident_page(ctx: ConsoleContext, incident_id: int) -> IncidentPage | None:
    now = ctx.clock()
    with ctx.store.session() as session:
        incident = incidents_repo.get_incident(session, incident_id)
        if incident is None:
            return None
        posts = console_repo.thread_posts(session, incident)
        root = next((p.post.posted_at for p in posts if p.post.is_thread_start), incident.opened_at)
        samples = [((s.read_at - root).total_seconds() / 3600, s.comments)
                   for s in console_repo.thread_snapshots(session, incident) if s.comments is not None]
        comment_times = sorted(max(0.0, (p.post.posted_at - root).total_seconds())
                               for p in posts if not p.post.is_thread_start)
        arrivals = arrival_times(samples, comment_times)
        forecast = spread_forecast(arrivals, (now - root).total_seconds())
        messages = console_repo.incident_rows(session, incident.id)
        held = {row.id: silences_repo.silence_of_row(session, row.id) for row in messages if row.status == "silenced"}
        growth = thread_growth(session, incident.source, incident.thread_id, now)
    if samples:
        chart = growth_chart([(max(0.0, h), c) for h, c in samples], forecast)
    else:  # no engagement readings: the comments stored so far draw the curve
        chart = growth_chart([(t / 3600, n) for n, t in enumerate(comment_times, 1)], forecast)
    return IncidentPage(incident, posts, chart, forecast, messages, held, growth)


def arrival_times(samples: list[tuple[float, int]], comment_times: list[float]) -> list[float]:
    """Comment times (seconds after the root) for the forecast: the stored comments' own times, or, when the
    engagement readings count more comments than were stored, times spread evenly between the readings."""
    if not samples or samples[-1][1] <= len(comment_times):
        return comment_times
    times: list[float] = []
    previous_h, previous_n = 0.0, 0
    for hours, count in samples:
        new = max(0, count - previous_n)
        times += [3600 * (previous_h + (hours - previous_h) * (k + 1) / new) for k in range(new)]
        previous_h, previous_n = max(previous_h, hours), max(previous_n, count)
    return times


def spread_forecast(times_s: list[float], age_s: float) -> Any | None:
    """The thread's spread forecast (listener/incidents/forecast.py) when that module is installed."""
    try:
        from listener.incidents import forecast as spread  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return spread.forecast([t for t in times_s if t <= age_s], max(age_s, 1.0))
    except Exception:  # the page matters more than its forecast
        log.exception("forecast failed")
        return None


def source_states(ctx: ConsoleContext) -> Sequence[Any]:
    with ctx.store.session() as session:
        return sources_repo.all_states(session)


def outbox_rows(ctx: ConsoleContext, view: str) -> Sequence[Any]:
    with ctx.store.session() as session:
        return console_repo.outbox_rows(session, view)


@dataclass(frozen=True)
class SilenceLine:
    silence: Any
    active: bool
    count: int
    suppressed: Sequence[Any]


def silence_lines(ctx: ConsoleContext) -> list[SilenceLine]:
    now = ctx.clock()
    with ctx.store.session() as session:
        counts = silences_repo.silenced_counts(session)
        return [SilenceLine(s, s.starts_at <= now < s.ends_at, counts.get(s.id, 0),
                            silences_repo.silenced_rows(session, s.id))
                for s in silences_repo.all_silences(session, ended_since=now - timedelta(days=7))]


# -- the few writes ---------------------------------------------------------------------------------------
def incident_action(ctx: ConsoleContext, incident_id: int, action: str, user: str) -> bool:
    """Acknowledge or snooze, exactly as the Slack buttons do (the Slack message is edited to say so)."""
    with ctx.store.session() as session:
        return ctx.engine.on_action(session, incident_id, action, user) is not None


def resend(ctx: ConsoleContext, ids: list[int] | None) -> int:
    with ctx.store.session() as session:
        return requeue_dead(session, ids, now=ctx.clock())


def add_silence(ctx: ConsoleContext, *, hours: float, watchlist: str = "", thread: str = "", term: str = "",
                by: str = "", comment: str = "") -> int:
    """A new silence; `thread` is "source/thread_id". ValueError with a message the page can show."""
    where = None
    if thread.strip():
        source, _, thread_id = thread.strip().partition("/")
        if not source or not thread_id:
            raise ValueError("a thread is written source/thread_id, e.g. pantip/43512345")
        where = (source, thread_id)
    with ctx.store.session() as session:
        return silences.add_silence(session, now=ctx.clock(), duration=timedelta(hours=hours), watchlist=watchlist,
                                    thread=where, term=term, by=by, comment=comment).id


def expire_silence(ctx: ConsoleContext, silence_id: int, by: str) -> bool:
    with ctx.store.session() as session:
        return silences.expire_silence(session, silence_id, now=ctx.clock(), by=by) is not None


@dataclass(frozen=True)
class TryResult:
    text: str
    matches: list[Any]  # (watchlist name, terms, cues, risk score, reason)
    verdict: Any
    risk: float
    reason: str


def try_text(ctx: ConsoleContext, text: str) -> TryResult:
    """Which watchlists and terms match `text`, and its score, with the daemon's own matcher and model."""
    verdict = ctx.backend().predict([text])[0]
    plain = assess(verdict, 1.0, Growth(), {})
    matches = []
    for match in ctx.watchlists().match(text):
        extra = tuple(c for c in match.cues if c not in verdict.cues)  # as evaluation merges a watchlist's cues
        seen = replace(verdict, cues=verdict.cues + extra) if extra else verdict
        risk = assess(seen, match.watchlist.priority, Growth(), {})
        matches.append((match.watchlist.name, match.terms, match.cues, risk.score, risk.reason))
    return TryResult(text, matches, verdict, plain.score, plain.reason)
