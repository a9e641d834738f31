"""Human-readable summaries for `fangsiang check` (what is configured; with `--slack`, whether Slack agrees)
and `fangsiang status` (source health).

`check --slack` reads `slack.token_env`, `slack.base_url`, `slack.interactive`, `slack.app_token_env`, the
channels of `alerting` and of every watchlist route, and every route's `mentions`.
"""

from __future__ import annotations

import os
from typing import Any

from listener.config import LoadedConfig


def describe(loaded: LoadedConfig, watchlists: Any) -> str:
    config = loaded.config
    lines = [f"config {loaded.file}: OK", f"storage: {_mask_url(loaded.storage_url)}",
             f"model: {config.model.backend}" + (f" + {config.model.second_stage.backend} on matched posts"
                                                 if config.model.second_stage else ""),
             f"slack: token from ${config.slack.token_env}; default channel {config.alerting.default_channel}, "
             f"ops channel {config.alerting.ops_channel}",
             f"sources ({len(config.sources)}):"]
    for source in config.sources:
        when = source.schedule.cron and f"cron {source.schedule.cron}" or f"every {source.schedule.every}"
        state = "" if source.enabled else " [disabled]"
        lines.append(f"  - {source.name} ({source.kind}, {when}){state}")
    lines.append(f"watchlists ({len(watchlists)}):")
    for watchlist in watchlists:
        name = watchlist.name
        channel = getattr(getattr(watchlist, "route", None), "channel", None) or config.alerting.default_channel
        lines.append(f"  - {name} -> {channel}")
    return "\n".join(lines)


def describe_slack(loaded: LoadedConfig, watchlists: Any) -> tuple[str, bool]:
    """Ask Slack about the token, every configured channel and mention, and the app token when buttons are on."""
    from alerts.slack import SlackNotifier

    config = loaded.config
    token = os.environ.get(config.slack.token_env, "").strip()
    if not token:
        return f"slack: no token in ${config.slack.token_env}: alerts would go to the console", False
    routes = [config.alerting.default_route, *(getattr(w, "route", None) for w in watchlists)]
    channels = [config.alerting.default_channel, config.alerting.ops_channel]
    channels += [c for r in routes if r is not None for c in (r.channel, r.escalation_channel) if c]
    mentions = [m for r in routes if r is not None for m in r.mentions]
    app_token = os.environ.get(config.slack.app_token_env, "").strip() if config.slack.interactive else None
    checks = SlackNotifier(token, base_url=config.slack.base_url).check_setup(
        list(dict.fromkeys(channels)), list(dict.fromkeys(mentions)), app_token)
    lines = [f"slack {'ok  ' if c.ok else 'FAIL'} {c.what}: {c.detail}" for c in checks]
    return "\n".join(lines), all(c.ok for c in checks)


def describe_health(store: Any) -> str:
    from listener.store.sources_repo import all_states

    with store.session() as session:
        states = all_states(session)
        if not states:
            return "no source has run yet"
        rows = [f"{'source':30} {'state':10} {'last success':20} {'fails':>5} {'posts':>7} {'set aside':>9}"]
        for s in states:
            state = "DEGRADED" if s.degraded_since else "ok"
            last = f"{s.last_success_at:%Y-%m-%d %H:%M}" if s.last_success_at else "never"
            rows.append(f"{s.name:30} {state:10} {last:20} {s.consecutive_failures:5d} {s.posts_total:7d}"
                        f" {s.rejected_total or 0:9d}")
            if s.degraded_reason:
                rows.append(f"    {s.degraded_reason}")
            elif s.consecutive_failures:
                rows.append(f"    last error: {s.last_error}")
        rows.extend(_last_rejections(session))
    return "\n".join(rows)


def _last_rejections(session: Any, limit: int = 5) -> list[str]:
    """The newest posts set aside (`rejected_posts`), so an operator sees what was not stored and why."""
    from listener.store.sources_repo import recent_rejections

    found = recent_rejections(session, limit)
    if not found:
        return []
    return ["", "posts set aside (newest first):"] + [
        f"  {r.rejected_at:%Y-%m-%d %H:%M} {r.source} {r.external_id[:60]}: {r.reason[:160]}" for r in found]


def _mask_url(url: str) -> str:
    """Never print a database password: the whole user-info part (up to the LAST "@" before the host) goes."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}://***@{authority.rsplit('@', 1)[1]}{slash}{path}"
