"""The readable table of `fangsiang backtest --threads` (without `--json`)."""

from __future__ import annotations

from typing import Any

from listener.backtest.figures import BEFORE, BIG, SMALL

METHODS = (("fangsiang", None), ("≥10 replies", "count_10"), ("spike", "spike"))


def render_table(result: dict[str, Any]) -> str:
    lines = [f"{result['threads']} threads replayed on {result['run']['source']} "
             f"(watchlists: {', '.join(result['run']['watchlists'])}) in {result['run']['wall_s']} s "
             f"({result['run']['threads_per_s']} threads/s, {result['run']['replies_per_s']} replies/s)", "",
             f"{'kind':<22} {'method':<12} {f'big (≥{BIG})':>9} {f'flag<{BEFORE}':>9} {'recall':>7} "
             f"{f'small (<{SMALL})':>10} {'flagged':>8} {'share':>7} {'lead p50':>9}"]
    groups = [("all", result), *result["by_kind"].items()]
    for kind, figures in groups:
        for label, key in METHODS:
            row = figures if key is None else figures["baselines"][key]
            lines.append(f"{kind:<22} {label:<12} {row['big']:>9} {row['big_flagged_before_20']:>9} "
                         f"{_pct(row['recall_before_20']):>7} {row['small']:>10} {row['small_flagged']:>8} "
                         f"{_pct(row['small_flagged_share']):>7} {_hours(row['median_lead_s']):>9}")
    lines += ["", f"{'kind':<22} {'first message p50':>18} {'max messages':>13} {'reads/thread':>13} "
              f"{'big past 20 at first read':>26}"]
    for kind, figures in groups:
        lines.append(f"{kind:<22} {_minutes(figures['first_message_p50_s']):>18} "
                     f"{figures['messages_per_thread_max']:>13} {figures['reads_per_thread_mean'] or 0:>13} "
                     f"{figures['big_past_20_at_first_read']:>26}")
    return "\n".join(lines)


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f} %"


def _hours(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 3600:.1f} h"


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} min"
