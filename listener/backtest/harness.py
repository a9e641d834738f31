"""The parts a replay puts around the real pipeline: a simulated clock, a sink that records what would have
been sent, a model that scores each distinct text once, and watchlists that stay as they were loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

from alerts.types import Alert, Delivery


class SimClock:
    """The pipeline's clock: it says what the replay sets and never moves by itself."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Sent:
    at: datetime
    alert: Alert


@dataclass
class RecordingSink:
    """Takes every message as delivered (with Slack-like increasing ts) and keeps it with its simulated time."""

    clock: Callable[[], datetime]
    sent: list[Sent] = field(default_factory=list)
    settle_s = 0.0  # nothing is ever in flight: a replay never waits to look a message up

    def deliver(self, alert: Alert) -> Delivery:
        self.sent.append(Sent(self.clock(), alert))
        return Delivery(ok=True, channel=alert.channel, ts=alert.message_ts or f"{len(self.sent)}.000100")

    def deliver_file(self, channel: str, png_bytes: bytes, title: str, thread_ts: str | None = None) -> Delivery:
        return Delivery(ok=True, channel=channel, ts=thread_ts)

    def find_sent(self, alert: Alert, since: datetime) -> Delivery | None:
        return None  # every delivery succeeds at once: nothing is ever cut short


class CachedBackend:
    """The configured model, asked once per distinct (text, kind of text, re-score flag): a replay's thousands
    of identical neutral comments cost one prediction. The model is deterministic per text, so the verdicts are
    the ones it gives uncached."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.labels = inner.labels
        self.knows_kinds = bool(getattr(inner, "knows_kinds", False))
        self._cache: dict[tuple[str, str | None, bool], Any] = {}
        self.asked = self.computed = 0

    def predict(self, texts: Sequence[str], marked: Sequence[bool] | None = None,
                kinds: Sequence[str] | None = None) -> list[Any]:
        flags = list(marked) if marked is not None else [True] * len(texts)
        keys = [(text, kinds[i] if kinds is not None else None, flags[i]) for i, text in enumerate(texts)]
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            options: dict[str, Any] = {}
            if marked is not None:
                options["marked"] = [k[2] for k in missing]
            if kinds is not None and self.knows_kinds:
                options["kinds"] = [k[1] for k in missing]
            for key, verdict in zip(missing, self.inner.predict([k[0] for k in missing], **options)):
                self._cache[key] = verdict
        self.asked += len(keys)
        self.computed += len(missing)
        return [self._cache[k] for k in keys]


class FixedWatchlists:
    """Watchlists loaded once, standing in for the daemon's reloader: nothing is reloaded during a replay."""

    def __init__(self, current: Any) -> None:
        self.current = current
        self.last_error = None
        self.digest = "replay"

    def reload_if_changed(self) -> bool:
        return False
