"""The result of scoring one text, and the protocol every model backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence


@dataclass(frozen=True)
class Verdict:
    lang: str  # "th", "en", "zh", or "und"
    label: str  # the most probable of `probs`
    probs: dict[str, float]  # label -> probability; labels come from the model's own config
    complaint: float  # probability that the text is a complaint speech act
    cues: tuple[str, ...]  # escalation cues found in the text, e.g. ("ฟ้อง", "สคบ.")
    model: str  # model name and version, e.g. "embedded-linear@2026.11"
    kind: str = ""  # the kind of text the complaint was judged as ("forum", "call-centre"); "" when not told


class Backend(Protocol):
    name: str
    labels: tuple[str, ...]

    def predict(self, texts: Sequence[str]) -> list[Verdict]:
        """Score a batch of texts; one Verdict per text, in order."""
        ...
