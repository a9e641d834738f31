"""The daily summary chart is a real PNG whose bars follow the counts."""

from __future__ import annotations

from alerts.chart import summary_chart
from tests.alerts.pngread import png_size, read_png


def test_chart_is_a_png_of_the_expected_size() -> None:
    data = summary_chart({"2026-11-21": {"negative": 3, "neutral": 9}, "2026-11-22": {"negative": 30}}, "ทรู daily")
    assert png_size(data) == (800, 400)


def test_more_negative_posts_draw_more_red() -> None:
    def red_pixels(negative: int) -> int:
        # A low dpi keeps the pure-Python pixel decoding quick.
        _, _, rows = read_png(summary_chart({"d1": {"negative": negative, "neutral": 50}}, "daily", dpi=25))
        return sum(1 for row in rows for r, g, b, *_ in row if r > 190 and g < 100 and b < 100)
    assert red_pixels(40) > red_pixels(5) > 0


def test_empty_day_list_still_renders() -> None:
    assert png_size(summary_chart({}, "nothing yet")) == (800, 400)
