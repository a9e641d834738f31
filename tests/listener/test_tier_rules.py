"""The pure tier rules: hysteresis, the zero-engagement cap and the spread floor."""

from __future__ import annotations

from listener.config.alerting import Tiers
from listener.incidents.tiers import tier_of


def test_the_risk_must_fall_clearly_below_a_tier_to_leave_it() -> None:
    tiers = Tiers(watch=0.45, high=0.65, critical=0.9)
    assert tier_of(0.66, tiers, current="watch", hysteresis=0.05) == "high"  # rising: the plain threshold
    assert tier_of(0.62, tiers, current="high", hysteresis=0.05) == "high"  # inside the band: stays
    assert tier_of(0.59, tiers, current="high", hysteresis=0.05) == "watch"  # clearly below: leaves
    assert tier_of(0.87, tiers, current="critical", hysteresis=0.05) == "critical"
    assert tier_of(0.62, tiers, current="critical", hysteresis=0.05) == "high"  # a fall of two tiers
    assert tier_of(0.42, tiers, current="watch", hysteresis=0.05) == "watch"
    assert tier_of(0.39, tiers, current="watch", hysteresis=0.05) is None
