"""Typed config for alert routing: severity tiers, routes (channel, mentions, quiet hours, digest, comment
replies), the spread rule and the dispatcher's delivery knobs. Read from the `alerting:` section of config.yaml
and from each watchlist's `route:`, `tiers:` and `spread:` keys.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.mrkdwn import is_mention_id

Severity = Literal["watch", "high", "critical"]
SEVERITY_ORDER: tuple[str, ...] = ("watch", "high", "critical")


def _known_time_zone(name: str) -> str:
    """Refuse what the scheduler and the clock would refuse later, at start or at the first summary."""
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # not found is a KeyError; a folder name an OSError
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Bangkok or UTC)") from None
    return name


def _slack_id(ident: str) -> str:
    if not is_mention_id(ident):
        raise ValueError(f"{ident!r} is not a Slack user id (U…/W…) or user-group id (S…); "
                         "see Mentions in the README for where to copy it")
    return ident.strip()


TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]
MentionId = Annotated[str, AfterValidator(_slack_id)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tiers(Strict):
    """Minimum risk (0..1) for each severity; below `watch` nothing is alerted."""

    watch: float = Field(0.45, ge=0, le=1)
    high: float = Field(0.65, ge=0, le=1)
    critical: float = Field(0.85, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> "Tiers":
        if not self.watch <= self.high <= self.critical:
            raise ValueError("tiers must satisfy watch <= high <= critical")
        return self

    def severity_of(self, risk: float) -> str | None:
        for name in reversed(SEVERITY_ORDER):
            if risk >= getattr(self, name):
                return name
        return None


class Spread(Strict):
    """When a predicted spread matters: while the forecast says the thread will pass `comments` comments
    within `within` of its start, its incident is at least `tier` (escalating and pinging like any rise)."""

    comments: int = Field(100, ge=1)
    within: str = "72h"  # the horizon the shipped forecast rule was chosen for (fit_forecast: 100 within 72 h)
    tier: Severity = "high"

    @field_validator("within")
    @classmethod
    def _duration(cls, value: str) -> str:
        from listener.config.schema import parse_duration  # schema imports this module

        if parse_duration(value).total_seconds() <= 0:
            raise ValueError("within must be a positive duration, e.g. 24h")
        return value

    def horizon_s(self) -> float:
        from listener.config.schema import parse_duration

        return parse_duration(self.within).total_seconds()


ChannelKind = Literal["new", "escalation", "digest", "summary", "health"]


class ChannelConfig(Strict):
    """Another place alerts go besides Slack (Teams, LINE-style webhooks, e-mail, any webhook), as an apprise
    URL held in an environment variable. It gets whole messages only, never edits in place, so: new incidents,
    escalations, digests, and (if listed) daily summaries and ops health notices."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    url_env: str = Field(min_length=1)  # the variable holds one or more apprise URLs (space-separated)
    kinds: tuple[ChannelKind, ...] = ("new", "escalation", "digest")
    min_severity: Severity = "watch"  # new incidents and escalations below this are not sent here
    all_watchlists: bool = False  # true: every watchlist's alerts; false: only routes that list this channel


class QuietHours(Strict):
    start: time
    end: time
    tz: TimeZoneName = "Asia/Bangkok"


class Route(Strict):
    """Where a watchlist's alerts go and who is pinged."""

    channel: str | None = None  # None: alerting.default_channel
    mentions: tuple[MentionId, ...] = ()  # Slack user ids (U…) or user-group ids (S…), pinged on escalation
    min_severity: Severity = "watch"
    escalation_channel: str | None = None  # also posted here when an incident reaches critical
    # Severities below this go to the digest instead of a message of their own. None (the default): every new
    # incident gets its message at once, within one poll, scoring and dispatch pass of its first post.
    digest_below: Severity | None = None
    digest_every: Literal["hourly", "daily"] = "hourly"
    quiet_hours: QuietHours | None = None
    # risky comments told one by one in an incident's Slack thread; the rest are summarised (null: no cap)
    comment_replies: int | None = Field(5, ge=0)
    comment_summary_minutes: float = Field(60, gt=0)  # least time between two summaries of the rest
    channels: tuple[str, ...] = ()  # names from `alerting.channels` that also get this route's alerts

    # Alertmanager-style grouping: new incidents of this route that share these values wait `group_wait` for
    # each other and go out as ONE message listing them (critical ones never wait). "watchlist": the brand;
    # "term"/"cue": the matched term / escalation cue (the first, alphabetically, of an incident's).
    group_by: tuple[Literal["watchlist", "term", "cue"], ...] = ()
    group_wait: str = "5m"

    @field_validator("group_wait")
    @classmethod
    def _duration(cls, value: str) -> str:
        from listener.config.schema import parse_duration  # schema imports this module

        parse_duration(value)
        return value


class AlertingConfig(Strict):
    default_channel: str = "#social-listening"
    ops_channel: str = "#social-listening-ops"
    default_tiers: Tiers = Tiers()
    default_route: Route = Route()
    default_spread: Spread | None = Spread()  # for watchlists without their own `spread` (null: none)
    tier_hysteresis: float = Field(0.05, ge=0, le=0.5)  # how far below a tier's threshold the risk must fall to leave it
    tier_memory_hours: float = Field(6, ge=0)  # a tier announced is not announced again if reached again within this
    cooldown_minutes: float = Field(10, ge=0)  # least time between two updates of one incident's message
    channel_budget_per_hour: int = Field(30, ge=1)  # most new messages per channel per hour; overflow -> digest
    close_after_quiet_hours: float = Field(48, gt=0)
    daily_summary_at: time | None = time(9, 0)
    timezone: TimeZoneName = "Asia/Bangkok"
    mask_personal_data: bool = True
    max_attempts: int = Field(50, ge=1)  # then the outbox row is marked dead and reported to ops
    channels: tuple[ChannelConfig, ...] = ()  # other channels through apprise (see ChannelConfig)

    @model_validator(mode="after")
    def _channel_names(self) -> "AlertingConfig":
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique: {', '.join(names)}")
        unknown = set(self.default_route.channels) - set(names)
        if unknown:
            raise ValueError(f"default_route.channels names unknown channel(s): {', '.join(sorted(unknown))}")
        return self
