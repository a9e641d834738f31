"""The figures of a thread replay: per method (fangsiang and the baselines), how many big threads were flagged
before their 20th reply, how many small ones were ever flagged, the lead on the 100th reply; and for fangsiang
the messages it would have sent. Labels need the thread watched for the whole horizon (`meta.observed_s`)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from listener.backtest.baselines import RULES, first_flag_s
from listener.backtest.simulation import HORIZON, ThreadRun

BIG, SMALL, BEFORE = 100, 20, 20
EDITS = ("update",)  # an update edits the incident's message in place


@dataclass(frozen=True)
class Judged:
    run: ThreadRun
    flags: dict[str, float | None]  # method -> seconds after the root it first flagged (None: never)

    @property
    def final(self) -> int:
        return self.run.thread.count_at(HORIZON.total_seconds())

    @property
    def labelled(self) -> bool:
        return self.run.thread.watched_for(HORIZON.total_seconds())

    @property
    def big(self) -> bool:
        return self.labelled and self.final >= BIG

    @property
    def small(self) -> bool:
        return self.labelled and self.final < SMALL


def judge(run: ThreadRun) -> Judged:
    thread = run.thread
    flags = {"fangsiang": run.flagged_s}
    for name, rule in RULES.items():
        flags[name] = first_flag_s(rule, thread.times, run.reads, thread.root_at)
    return Judged(run, flags)


def method_figures(judged: Sequence[Judged], method: str) -> dict[str, Any]:
    big = [j for j in judged if j.big]
    small = [j for j in judged if j.small]
    before = sum(1 for j in big if j.flags[method] is not None and j.flags[method] < j.run.thread.times[BEFORE - 1])
    leads = [float(j.run.thread.times[BIG - 1]) - j.flags[method] for j in big if j.flags[method] is not None]
    small_flagged = sum(1 for j in small if j.flags[method] is not None)
    return {"big": len(big), "big_flagged_before_20": before, "recall_before_20": _share(before, len(big)),
            "small": len(small), "small_flagged": small_flagged, "small_flagged_share": _share(small_flagged, len(small)),
            "median_lead_s": _median(leads)}


def figures(judged: Sequence[Judged]) -> dict[str, Any]:
    """The command's JSON object for these threads (without the per-kind breakdown)."""
    out: dict[str, Any] = {"threads": len(judged), **method_figures(judged, "fangsiang")}
    firsts = [j.run.messages[0][0] for j in judged if j.run.messages]
    counts = [len(j.run.messages) for j in judged]
    posted = [sum(1 for _, kind in j.run.messages if kind not in EDITS) for j in judged]
    big = [j for j in judged if j.big]
    out.update({
        "threads_with_incident": sum(1 for j in judged if j.run.incidents),
        "threads_messaged": len(firsts),
        "first_message_p50_s": _median(firsts),
        "messages_per_thread_max": max(counts, default=0),
        "messages_per_thread_mean": round(statistics.fmean(counts), 2) if counts else None,
        # of those, messages posted (not edits of the incident's card in place)
        "posted_per_thread_max": max(posted, default=0),
        "reads_per_thread_mean": round(statistics.fmean(len(j.run.reads) for j in judged), 1) if judged else None,
        # a thread whose 20th reply comes before the listing poll that finds it cannot be flagged before 20
        "big_past_20_at_first_read": sum(1 for j in big if j.run.thread.times[BEFORE - 1] <= j.run.first_read_s),
        "baselines": {name: method_figures(judged, name) for name in RULES},
    })
    limit = len(big) - out["big_past_20_at_first_read"]
    out["recall_before_20_limit"] = _share(limit, len(big))
    return out


def by_kind(judged: Iterable[Judged]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        groups[j.run.thread.kind].append(j)
    return {kind: figures(groups[kind]) for kind in sorted(groups)}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: Sequence[float]) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


def per_thread(judged: Iterable[Judged]) -> list[dict[str, Any]]:
    """One row per thread: what decided its figures."""
    return [{"thread_id": j.run.thread.name, "line": j.run.thread.line, "kind": j.run.thread.kind,
             "replies_72h": j.final, "label": "big" if j.big else "small" if j.small else None,
             "first_read_s": round(j.run.first_read_s, 1), "highest": j.run.highest,
             "flags_s": {name: None if at is None else round(at, 1) for name, at in j.flags.items()},
             "messages": len(j.run.messages), "first_message_s": j.run.messages[0][0] if j.run.messages else None}
            for j in judged]
