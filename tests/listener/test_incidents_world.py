"""A small world for incident and dispatch tests: a real SQLite store, a frozen clock, a thread whose posts,
verdicts and snapshots are written like the pipeline writes them, and a recording notifier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from alerts.types import Alert, Delivery
from listener.config.alerting import AlertingConfig, Route, Spread, Tiers
from listener.delivery.dispatcher import Dispatcher
from listener.incidents.engine import IncidentEngine
from listener.store import Store, incidents_repo, outbox_repo
from listener.store.models import Incident, PostRow, Snapshot, VerdictRow
from sentiment.types import Verdict

START = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 09:00 in Bangkok


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Wl:
    name: str = "acme"
    priority: float = 1.0
    route: Route = field(default_factory=lambda: Route(channel="#care", mentions=("U0ONCALL",), digest_below=None))
    tiers: Tiers = field(default_factory=Tiers)
    min_complaint: float = 0.3
    spread: Spread | None = None


class RecordingNotifier:
    """Answers ok with increasing ts, or whatever is scripted in `answers` first."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.answers: list[Delivery] = []
        self.files: list[tuple[str, str]] = []
        self._n = 0

    def deliver(self, alert: Alert) -> Delivery:
        self.alerts.append(alert)
        if self.answers:
            return self.answers.pop(0)
        self._n += 1
        return Delivery(ok=True, channel=alert.channel, ts=alert.message_ts or f"100.{self._n:04d}")

    def deliver_file(self, channel: str, png_bytes: bytes, title: str, thread_ts: str | None = None) -> Delivery:
        self.files.append((channel, title))
        return Delivery(ok=True, channel=channel)

    def kinds(self) -> list[str]:
        return [a.kind for a in self.alerts]


class World:
    def __init__(self, tmp_path: Path, alerting: AlertingConfig | None = None, notifier: Any = None) -> None:
        self.store = Store(f"sqlite:///{tmp_path}/t.db")
        self.store.create_all()
        self.clock = Clock()
        self.alerting = alerting or AlertingConfig()
        self.engine = IncidentEngine(self.alerting, self.clock)
        self.notifier = notifier or RecordingNotifier()
        self.dispatcher = Dispatcher(self.notifier, self.alerting, self.clock)
        self.wl = Wl()
        self._n = 0

    def snapshot(self, comments: int, reactions: int = 0, thread: str = "T1") -> None:
        with self.store.session() as s:
            s.add(Snapshot(source="pantip", thread_id=thread, external_id=thread, read_at=self.clock(),
                           comments=comments, reactions=reactions))

    def post(self, complaint: float, *, negative: float = 0.7, cues: tuple[str, ...] = (), start: bool = False,
             text: str = "", thread: str = "T1", wl: Wl | None = None) -> Incident | None:
        """Store a post and its verdict like the pipeline does, then observe it; returns the incident."""
        self._n += 1
        ext = thread if start else f"{thread}-c{self._n}"
        verdict = Verdict("th", "negative", {"negative": negative, "neutral": 1 - negative}, complaint, cues, "t")
        with self.store.session() as s:
            row = PostRow(source="pantip", kind="pantip", external_id=ext, thread_id=thread, is_thread_start=start,
                          url=f"https://pantip.com/topic/{thread}#{ext}", title="เน็ตล่มทั้งวัน" if start else "",
                          text=text or f"post {ext}", author="a", posted_at=self.clock(), first_seen_at=self.clock())
            s.add(row)
            s.flush()
            s.add(VerdictRow(post_id=row.id, lang="th", label="negative", probs=dict(verdict.probs),
                             complaint=complaint, cues=list(cues), model="t", scored_at=self.clock()))
            s.flush()
            self.last_post_id = row.id
            return self.engine.observe(s, row, verdict, wl or self.wl, ["acme"])

    def reobserve(self, post_id: int, wl: Wl | None = None) -> None:
        with self.store.session() as s:
            row = incidents_repo.post_by_id(s, post_id)
            v = incidents_repo.verdict_of(s, post_id)
            verdict = Verdict(v.lang, v.label, dict(v.probs), v.complaint, tuple(v.cues), v.model)
            self.engine.observe(s, row, verdict, wl or self.wl, ["acme"])

    def refresh(self, thread: str = "T1", wl: Wl | None = None) -> None:
        with self.store.session() as s:
            wl = wl or self.wl
            incident = incidents_repo.find_incident(s, "pantip", thread, wl.name)
            if incident is not None:
                self.engine.refresh(s, incident, wl)

    def dispatch(self) -> Any:
        return self.dispatcher.run_once(self.store.session)

    def outbox(self) -> list[Any]:
        with self.store.session() as s:
            return [(r.kind, r.status, r.channel) for r in outbox_repo.all_rows(s)]

    def incident(self, thread: str = "T1") -> Incident:
        with self.store.session() as s:
            incident = incidents_repo.find_incident(s, "pantip", thread, self.wl.name)
            assert incident is not None
            return incident
