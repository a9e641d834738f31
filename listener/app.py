"""Build the running parts from a validated config: store, scrapers, model, watchlists, notifier, engines.

Reads every section of config.yaml; secrets only from the environment variables the config names.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from listener.config import LoadedConfig
from listener.config.schema import HttpSettings, SourceConfig
from listener.store import Store

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Components:
    loaded: LoadedConfig
    store: Store
    scrapers: dict[str, Any]
    backend: Any
    watchlists: Any  # a reloader with `.current` (the live WatchlistSet)
    notifier: Any
    clock: Callable[[], datetime] = utcnow
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def sources(self) -> dict[str, SourceConfig]:
        return {s.name: s for s in self.loaded.config.sources if s.enabled}


def build(loaded: LoadedConfig, *, clock: Callable[[], datetime] = utcnow, notifier: Any = None,
          backend: Any = None, migrate: bool = True) -> Components:
    store = Store(loaded.storage_url)
    if migrate:
        store.migrate()
    watchlists = build_watchlists(loaded)
    return Components(loaded=loaded, store=store, scrapers=build_scrapers(loaded, watchlists.current, clock),
                      backend=backend or build_backend(loaded), watchlists=watchlists,
                      notifier=notifier or build_notifier(loaded), clock=clock)


def build_watchlists(loaded: LoadedConfig) -> Any:
    from listener.triage.watchlists import WatchlistReloader

    spec = loaded.config.watchlists
    return WatchlistReloader(spec, loaded.base_dir, located=loaded.located, alerting=loaded.config.alerting)


def build_backend(loaded: LoadedConfig) -> Any:
    from sentiment import load_backend

    model = loaded.config.model
    started = time.monotonic()
    log.info("loading the %s model", model.backend)
    first = load_backend(model.backend, **{"cues": model.cues or None, **model.options})
    if model.second_stage is None:
        log.info("model ready in %.1f s", time.monotonic() - started)
        return first
    from sentiment.cascade import Cascade

    stage = model.second_stage
    log.info("loading the second-stage %s model", stage.backend)
    try:
        second = load_backend(stage.backend, **{"cues": model.cues or None, **stage.options})
    except ImportError as exc:
        if not stage.optional:
            raise
        log.warning("second-stage model %r is off: %s (pip install 'fangsiang[encoder]' to enable it)",
                    stage.backend, exc)
        return first
    log.info("models ready in %.1f s", time.monotonic() - started)
    return Cascade(first, second, weight=stage.weight, sentiment_weight=stage.sentiment_weight)


def build_notifier(loaded: LoadedConfig) -> Any:
    from alerts import REGISTRY

    slack = loaded.config.slack
    token = os.environ.get(slack.token_env, "").strip()
    if not token:
        log.warning("no Slack token in $%s: alerts go to the console", slack.token_env)
        primary = REGISTRY["console"]()
    else:
        primary = REGISTRY["slack"](token=token, base_url=slack.base_url, interactive=slack.interactive,
                                    timeout=slack.timeout_s,
                                    mask_personal_data=loaded.config.alerting.mask_personal_data,
                                    timezone=loaded.config.alerting.timezone)
    return build_channels(loaded, primary)


def build_channels(loaded: LoadedConfig, primary: Any) -> Any:
    """Slack (or the console) plus the `alerting.channels` sent through apprise; their URLs from the environment."""
    channels = loaded.config.alerting.channels
    if not channels:
        return primary
    from alerts.channels import AppriseNotifier, ChannelRouter, is_valid_url
    from listener.errors import ConfigError

    notifiers = {}
    for index, channel in enumerate(channels):
        urls = os.environ.get(channel.url_env, "").split()
        key = f"alerting.channels[{index}].url_env"
        if not urls:
            raise ConfigError(f"${channel.url_env} is empty: it must hold the apprise URL(s) of channel "
                              f"{channel.name!r}", file=loaded.file, key=key)
        if not all(is_valid_url(url) for url in urls):
            raise ConfigError(f"${channel.url_env} holds a URL apprise does not understand (channel "
                              f"{channel.name!r}); see https://github.com/caronc/apprise/wiki",
                              file=loaded.file, key=key)
        notifiers[channel.name] = AppriseNotifier(urls, mask_personal_data=loaded.config.alerting.mask_personal_data)
        log.info("channel %s: %s for %s", channel.name, ", ".join(channel.kinds),
                 "every watchlist" if channel.all_watchlists else "the routes that name it")
    return ChannelRouter(primary, notifiers)


def start_buttons(loaded: LoadedConfig, notifier: Any, on_action: Callable[[Any], str],
                  report: Callable[[str, str, str], None] | None = None) -> Any:
    """Listen for Slack button clicks over Socket Mode when `slack.interactive` is on and a token is set.

    When Slack refuses the app token, that is logged and handed to `report(key, title, detail)` (the ops
    channel), and None is returned: the daemon runs on, its cards without working buttons.
    """
    slack = loaded.config.slack
    app_token = os.environ.get(slack.app_token_env, "").strip()
    if not slack.interactive or not hasattr(notifier, "client"):
        return None
    if not app_token:
        log.warning("slack.interactive is on but $%s is empty: buttons will not answer", slack.app_token_env)
        return None
    from alerts.interactive import InteractiveListener

    listener = InteractiveListener(app_token, notifier.client, on_action)
    problem = listener.start(block=False)
    if problem is None:
        return listener
    detail = (f"Slack refused the app token in ${slack.app_token_env} ({problem}): the daemon runs on without "
              "buttons; set a valid xapp- token with connections:write and restart")
    log.error(detail)
    if report is not None:
        report(f"buttons:refused:{utcnow():%Y-%m-%dT%H:%M}", "Slack buttons are off", detail)
    return None


def build_scrapers(loaded: LoadedConfig, watchlists: Any,
                   clock: Callable[[], datetime] = utcnow) -> dict[str, Any]:
    """One scraper per enabled source, each on the daemon's clock (backfill windows, times of undated items)."""
    from scrapers import REGISTRY

    built: dict[str, Any] = {}
    for source in loaded.config.sources:
        if not source.enabled:
            continue
        options = _with_watchlist_queries(source, loaded.source_options[source.name], watchlists)
        http = build_http(loaded.config.http, source.http)
        built[source.name] = REGISTRY[source.kind](source.name, options, http, clock=clock)
    return built


def build_http(defaults: HttpSettings, override: HttpSettings) -> Any:
    from scrapers.http import HttpClient, HttpPolicy

    from listener import shutdown

    settings = {**defaults.model_dump(exclude_none=True), **override.model_dump(exclude_none=True)}
    return HttpClient(HttpPolicy(**settings), sleep=shutdown.sleep, stopping=shutdown.STOPPING.is_set)


def _with_watchlist_queries(source: SourceConfig, options: Any, watchlists: Any) -> Any:
    """A news-search source with no queries of its own searches for every watchlist's terms."""
    fields = {f.name for f in dataclasses.fields(options)}
    if "queries" in fields and not getattr(options, "queries"):
        return dataclasses.replace(options, queries=search_queries(watchlists))
    return options


def search_queries(watchlists: Any, per_query: int = 6) -> list[str]:
    """One news-search query per watchlist: its first terms, quoted and OR-ed."""
    queries = []
    for watchlist in watchlists:
        terms = [*watchlist.terms.th, *watchlist.terms.en, *watchlist.terms.zh, *watchlist.terms.any]
        terms = [t for t in terms if not t.startswith("@")][:per_query]
        if terms:
            queries.append(" OR ".join(f'"{t}"' for t in terms))
    return queries
