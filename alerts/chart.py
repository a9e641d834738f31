"""Draw the daily summary chart (posts per day, stacked by sentiment) as PNG bytes.

matplotlib is imported here only, with the non-interactive Agg backend, so the daemon never needs a
display. Thai and Chinese glyphs are drawn with the first installed font that has them; the chart's own
labels are ASCII so it stays legible when no such font exists.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402  (must follow the backend choice)
from matplotlib.figure import Figure  # noqa: E402

# Familiar colours for the usual labels; other labels (labels come from the model's config) cycle.
SENTIMENT_COLOURS = {"negative": "#d64545", "neutral": "#9aa5b1", "positive": "#3f9b5f", "question": "#3b7dd8"}
FALLBACK_COLOURS = ("#e0a030", "#8e6cc9", "#2bb3b1", "#c46aa0", "#6b7785")
SCRIPT_FONTS = ("Noto Sans Thai", "Loma", "Garuda", "Tlwg Typo", "Noto Sans CJK SC", "WenQuanYi Zen Hei")
ORDER = ("negative", "question", "neutral", "positive")


def _fonts() -> list[str]:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in SCRIPT_FONTS if name in installed] + ["DejaVu Sans"]


def _labels(counts: Mapping[str, Mapping[str, int]]) -> list[str]:
    seen = {label for day in counts.values() for label in day}
    return [label for label in ORDER if label in seen] + sorted(seen - set(ORDER))


def summary_chart(counts_by_day_and_sentiment: Mapping[str, Mapping[str, int]], title: str, dpi: int = 100) -> bytes:
    """PNG (8×4 inches at ``dpi``) of a stacked bar per day; keys are day labels in the order given."""
    days = list(counts_by_day_and_sentiment)
    labels = _labels(counts_by_day_and_sentiment)
    fig = Figure(figsize=(8, 4), dpi=dpi)
    ax = fig.subplots()
    bottoms = [0] * len(days)
    for index, label in enumerate(labels):
        values = [int(counts_by_day_and_sentiment[day].get(label, 0)) for day in days]
        colour = SENTIMENT_COLOURS.get(label, FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)])
        ax.bar(days, values, bottom=bottoms, color=colour, label=label)
        bottoms = [b + v for b, v in zip(bottoms, values)]
    ax.set_title(title, fontfamily=_fonts())
    ax.set_ylabel("posts")
    ax.spines[["top", "right"]].set_visible(False)
    if labels:
        handles, names = ax.get_legend_handles_labels()  # reversed so the legend stacks like the bars
        ax.legend(handles[::-1], names[::-1], loc="upper left", frameon=False, fontsize="small")
    if len(days) > 7:
        ax.tick_params(axis="x", labelrotation=45)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # A title in a script no installed font covers draws boxes and warns once per glyph; boxes suffice.
        warnings.simplefilter("ignore", UserWarning)
        fig.tight_layout()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()
