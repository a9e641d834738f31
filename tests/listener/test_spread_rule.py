"""A watchlist's spread rule: the forecast lifts the tier once (one ping), and the card and reason show it."""

from __future__ import annotations

from pathlib import Path

from alerts.render import render
from listener.config.alerting import Route, Spread
from tests.listener.test_incidents_world import World, Wl


def test_a_thread_forecast_to_spread_is_lifted_once_and_shows_the_forecast(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.wl = Wl(route=Route(channel="#care", mentions=("S0CARE",), digest_below=None),
                  spread=Spread(comments=100, within="72h", tier="high"))
    world.snapshot(comments=0)
    world.post(0.55, negative=0.5, start=True)  # a watch-level complaint
    world.dispatch()
    assert world.incident().severity == "watch"
    for n in range(25):  # 25 neutral replies in its first half hour
        world.clock.advance(minutes=1)
        world.post(0.02, negative=0.02, text=f"ติดตาม {n}")
    world.snapshot(comments=25)
    world.refresh()
    world.dispatch()
    incident = world.incident()
    assert incident.severity in ("high", "critical") and incident.forecast["floor"] == "high"
    assert "comments in 3 days, now 25" in incident.reason
    pings = [a for a in world.notifier.alerts if a.mentions]
    assert [(a.kind, a.severity) for a in pings] == [("escalation", "high"), ("escalation", "critical")][:len(pings)]
    assert pings and pings[0].severity == "high"  # the forecast lifted it first, once; each real rise pings once
    card = [a for a in world.notifier.alerts if a.kind == "update"][-1]
    assert card.forecast.startswith("≈") and "Forecast" in str(render(card).blocks)
