"""The incident page's growth chart, drawn on the server as SVG: the thread's comment count over time from its
engagement snapshots and, when a spread forecast is known, its 80 % interval and point estimate at the horizon.

Pure geometry (no framework): `growth_chart` returns coordinates that the template draws. Reads no config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 28  # margins for the axis labels


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    hours: float  # since the thread's first post
    comments: int


@dataclass(frozen=True)
class ForecastMark:
    x: float
    y_expected: float
    y_low: float
    y_high: float
    expected: float
    low: float
    high: float
    hours: float
    trend: str
    method: str


@dataclass(frozen=True)
class GrowthChart:
    points: list[Point]
    forecast: ForecastMark | None
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def band(self) -> str:
        """The forecast's interval as a polygon from the last reading to the horizon."""
        if self.forecast is None or not self.points:
            return ""
        last, f = self.points[-1], self.forecast
        return f"{last.x:.1f},{last.y:.1f} {f.x:.1f},{f.y_high:.1f} {f.x:.1f},{f.y_low:.1f}"


def growth_chart(samples: Sequence[tuple[float, int]], forecast: Any | None = None) -> GrowthChart | None:
    """`samples`: (hours since the thread's first post, comments) oldest first; `forecast`: an object with
    `horizon_s`, `expected`, `low`, `high`, `trend` and `method` (see listener/incidents/forecast.py), or None.
    None when there is nothing to draw."""
    if not samples:
        return None
    max_hours = max(max(h for h, _ in samples), forecast.horizon_s / 3600 if forecast else 0.0, 1.0)
    max_count = max(max(c for _, c in samples), forecast.high if forecast else 0.0, 1.0)

    def sx(hours: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * hours / max_hours

    def sy(count: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - count / max_count)

    points = [Point(sx(h), sy(c), h, c) for h, c in samples]
    mark = None
    if forecast is not None:
        hours = forecast.horizon_s / 3600
        mark = ForecastMark(sx(hours), sy(forecast.expected), sy(forecast.low), sy(forecast.high),
                            forecast.expected, forecast.low, forecast.high, hours, forecast.trend, forecast.method)
    x_ticks = [(sx(max_hours * i / 4), f"{max_hours * i / 4:.0f} h") for i in range(5)]
    y_ticks = [(sy(max_count * i / 4), f"{max_count * i / 4:.0f}") for i in range(5)]
    return GrowthChart(points, mark, x_ticks, y_ticks)
