"""The local web console: incidents, their threads, growth and Slack messages, sources' health, the outbox
with re-send, silences, and a "try it" box for the watchlists and the model. Served by the daemon
(`fangsiang run`) on 127.0.0.1 unless `console.enabled` is false, or alone and read-only by `fangsiang console`.

Modules: `views` (what pages show; the writes, through the daemon's functions), `chart` (the growth chart's
SVG geometry), `auth` (credentials), `web` (routes and templates; the framework's home), `server` (uvicorn).
Reads config keys `console.*`, `alerting.timezone` and the watchlists.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from listener.config import LoadedConfig
from listener.console.views import ConsoleContext


def console_server(loaded: LoadedConfig, ctx: ConsoleContext, port: int | None = None) -> Any:
    """A `ConsoleServer` for `ctx` on the configured host and port; ConfigError when credentials are missing."""
    from listener.console.auth import credentials
    from listener.console.server import ConsoleServer
    from listener.console.web import create_app

    settings = loaded.config.console
    hosts = None if settings.host in ("127.0.0.1", "localhost", "::1") else ["*"]
    app = create_app(ctx, credentials(settings), hosts=hosts)
    return ConsoleServer(app, settings.host, settings.port if port is None else port)


def daemon_context(parts: Any) -> ConsoleContext:
    """The console's view of a running daemon: its store, live watchlists and loaded model."""
    config = parts.loaded.config
    return ConsoleContext(store=parts.store, alerting=config.alerting, watchlists=lambda: parts.watchlists.current,
                          backend=lambda: parts.backend, clock=parts.clock)


def standalone_context(loaded: LoadedConfig) -> ConsoleContext:
    """A read-only console over the configured database; the model loads on the first "try it"."""
    from listener.app import build_backend, build_watchlists, utcnow
    from listener.store import Store

    store = Store(loaded.storage_url)
    store.migrate()
    watchlists = build_watchlists(loaded)
    return ConsoleContext(store=store, alerting=loaded.config.alerting, watchlists=lambda: watchlists.current,
                          backend=_once(lambda: build_backend(loaded)), clock=utcnow, read_only=True)


def _once(build: Callable[[], Any]) -> Callable[[], Any]:
    lock, built = threading.Lock(), []

    def get() -> Any:
        with lock:
            if not built:
                built.append(build())
            return built[0]
    return get
