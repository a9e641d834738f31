"""One ping per real tier rise: the watchlist's own cues survive re-scoring, a down-and-up within the tier
memory does not page again, and an incident that opens at critical reaches the escalation channel."""

from __future__ import annotations

from pathlib import Path

from listener.config.alerting import AlertingConfig, Route, Tiers
from listener.store.models import MatchRow, PostRow, Snapshot, VerdictRow
from listener.triage.stages import INHERITED, evaluate_pending
from tests.listener.test_incidents_world import World, Wl

CUES = ("ย้ายค่าย", "แจ้ง กสทช")


class _Watchlists:
    def __init__(self, wl: Wl) -> None:
        self.wl = wl

    def get(self, name: str) -> Wl | None:
        return self.wl if name == self.wl.name else None


def _scored(world: World, *, complaint: float, negative: float, start: bool, watchlist_cues: tuple[str, ...],
            text: str) -> None:
    """A post as the scorer leaves it: the model's verdict (no cues) and the match with the watchlist's cues."""
    world._n += 1
    ext = "T1" if start else f"T1-c{world._n}"
    with world.store.session() as s:
        row = PostRow(source="pantip", kind="pantip", external_id=ext, thread_id="T1", is_thread_start=start,
                      url=f"https://pantip.com/topic/T1#{ext}", title="ทรูมูฟ เน็ตล่ม" if start else "", text=text,
                      author="a", posted_at=world.clock(), first_seen_at=world.clock(), scored_at=world.clock())
        s.add(row)
        s.flush()
        s.add(VerdictRow(post_id=row.id, lang="th", label="negative",
                         probs={"negative": negative, "neutral": 1 - negative}, complaint=complaint, cues=[],
                         model="t", scored_at=world.clock()))
        s.add(MatchRow(post_id=row.id, watchlist="acme", terms=["ทรูมูฟ"] if start else [INHERITED],
                       cues=list(watchlist_cues), matched_at=world.clock()))


def _evaluate(world: World) -> None:
    evaluate_pending(world.store, world.engine, _Watchlists(world.wl), clock=world.clock)


def _pings(world: World) -> list[str]:
    return [f"{a.kind}:{a.severity}" for a in world.notifier.alerts if a.mentions]


def test_a_card_opened_by_the_watchlists_own_cues_is_not_re_scored_without_them(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.wl = Wl(priority=1.5, route=Route(channel="#care", mentions=("S0CARE",), digest_below=None))
    with world.store.session() as s:
        s.add(Snapshot(source="pantip", thread_id="T1", external_id="T1", read_at=world.clock(), comments=3))
    _scored(world, complaint=0.8, negative=0.9, start=True, watchlist_cues=CUES, text="จะย้ายค่ายแล้ว แจ้ง กสทช")
    _scored(world, complaint=0.05, negative=0.1, start=False, watchlist_cues=(), text="ติดตามครับ")
    _evaluate(world)
    world.dispatch()
    assert world.incident().severity == "critical"
    assert [a.severity for a in world.notifier.alerts if a.kind in ("new", "update")] == ["critical"]

    world.clock.advance(minutes=20)
    _scored(world, complaint=0.9, negative=0.9, start=False, watchlist_cues=CUES, text="ย้ายค่ายด้วยคน แจ้ง กสทช")
    _evaluate(world)
    world.dispatch()
    assert _pings(world) == ["new:critical"], "one page for the one real rise"
    assert "escalation" not in world.notifier.kinds()


def _flapping_world(tmp_path: Path, memory_hours: float = 6) -> World:
    world = World(tmp_path, AlertingConfig(cooldown_minutes=0, tier_memory_hours=memory_hours))
    world.wl = Wl(route=Route(channel="#care", mentions=("U0ONCALL",), digest_below=None),
                  tiers=Tiers(watch=0.45, high=0.65, critical=0.9))
    return world


def _flap(world: World, rates: list[int]) -> None:
    """Re-reads an hour apart whose growth rates move the thread between watch and high."""
    comments = 0
    for rate in rates:
        world.clock.advance(hours=1)
        comments += rate
        world.snapshot(comments=comments)
        world.refresh()
        world.dispatch()


def test_a_thread_flapping_between_two_tiers_pings_once(tmp_path: Path) -> None:
    world = _flapping_world(tmp_path)
    world.snapshot(comments=0)
    world.post(0.5, start=True)
    world.dispatch()
    _flap(world, [40, 0, 40, 0, 40])
    severities = [a.severity for a in world.notifier.alerts if a.kind in ("new", "update")]
    assert "watch" in severities[1:] and severities.count("high") >= 2, severities  # it did flap
    assert _pings(world) == ["escalation:high"], "the down-and-up moves within the memory are not new rises"


def test_a_rise_after_the_tier_memory_has_passed_pings_again(tmp_path: Path) -> None:
    world = _flapping_world(tmp_path, memory_hours=2)
    world.snapshot(comments=0)
    world.post(0.5, start=True)
    world.dispatch()
    _flap(world, [40, 0, 0, 0, 0, 40])
    assert _pings(world) == ["escalation:high", "escalation:high"]


def test_an_incident_that_opens_at_critical_reaches_the_escalation_channel(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.wl = Wl(route=Route(channel="#care", mentions=("S0CARE",), escalation_channel="#crisis", digest_below=None))
    world.snapshot(comments=12)
    world.post(0.95, negative=0.95, cues=("ฟ้อง", "สคบ."), start=True, text="จะฟ้อง สคบ.")
    world.dispatch()
    assert world.incident().severity == "critical"
    crisis = [a for a in world.notifier.alerts if a.channel == "#crisis"]
    assert len(crisis) == 1 and crisis[0].thread_ts is None and crisis[0].mentions == ("S0CARE",)
    assert world.incident().message_ts == "100.0001"  # the card in #care stays the incident's message
    assert [a.channel for a in world.notifier.alerts if a.kind == "new"] == ["#care"]
