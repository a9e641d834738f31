"""The growth chart's geometry: readings climb as the thread grows, and the forecast's interval is drawn at
its horizon around the expected count."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from listener.console.chart import HEIGHT, growth_chart


@dataclass(frozen=True)
class _Forecast:  # the fields of listener.incidents.forecast.Forecast the chart reads (FORECAST_API)
    horizon_s: float
    expected: float
    low: float
    high: float
    trend: str = "rising"
    method: str = "test"


def test_readings_climb_left_to_right() -> None:
    chart = growth_chart([(0.0, 2), (1.0, 5), (2.0, 11)])
    xs, ys = [p.x for p in chart.points], [p.y for p in chart.points]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True) and chart.forecast is None
    assert chart.polyline.count(",") == 3


def test_the_forecast_interval_spans_low_to_high_at_the_horizon() -> None:
    chart = growth_chart([(0.0, 2), (4.0, 34)], _Forecast(horizon_s=86_400, expected=120, low=80, high=200))
    f = chart.forecast
    assert f.x > chart.points[-1].x  # 24 h lies right of the last reading
    assert f.y_high < f.y_expected < f.y_low < HEIGHT  # higher counts are drawn higher
    assert chart.band.split()[1] == f"{f.x:.1f},{f.y_high:.1f}"


def test_nothing_to_draw_without_readings() -> None:
    assert growth_chart([]) is None


def test_the_incident_page_draws_the_shipped_forecast(tmp_path: Path) -> None:
    pytest.importorskip("listener.incidents.forecast")
    from starlette.testclient import TestClient

    from listener.console.web import create_app
    from tests.console.seed import context, seeded_world

    page = TestClient(create_app(context(seeded_world(tmp_path))), base_url="http://127.0.0.1").get("/incidents/1")
    assert 'class="forecast-band"' in page.text and 'id="forecast"' in page.text


def test_arrivals_follow_the_readings_when_they_count_more_comments_than_were_stored() -> None:
    from listener.console.views import arrival_times

    times = arrival_times([(0.0, 2), (1.0, 5)], [600.0])
    assert len(times) == 5 and times == sorted(times) and max(times) == 3600.0
    assert arrival_times([(1.0, 1)], [60.0, 120.0]) == [60.0, 120.0]  # the stored comments know more
