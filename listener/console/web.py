"""The console's web application: routes, server-rendered Jinja2 pages, CSRF protection and credentials.
The one home of starlette, jinja2 and asgi_csrf.

Every page is a GET that only reads. The POSTs (acknowledge, snooze, re-send, silence, "try it") carry a CSRF
token that must match a signed cookie, checked on every POST, also those sent without cookies (a page on
another site must not reach 127.0.0.1). Requests naming another Host are refused (DNS rebinding). When the
console runs alone (`fangsiang console`) only "try it" may be posted.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from asgi_csrf import asgi_csrf
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from listener.console import views
from listener.console.auth import Credentials
from listener.store.console_repo import IncidentFilter

HERE = Path(__file__).parent
SEVERITIES = ("watch", "high", "critical")
Handler = Callable[[Request], Awaitable[Response]]


class _EveryPath:
    """asgi_csrf skips cookie-less POSTs outside `always_protect`; the console protects every path."""

    def __contains__(self, path: object) -> bool:
        return True


def create_app(ctx: views.ConsoleContext, credentials: Credentials | None = None,
               hosts: list[str] | None = None) -> Any:
    """The ASGI application for `ctx`; `hosts`: the Host names it answers to (default loopback names)."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    zone = ZoneInfo(ctx.alerting.timezone)
    templates.env.filters.update(when=lambda moment: _when(moment, zone), ago=_ago)
    templates.env.globals.update(read_only=ctx.read_only, severities=SEVERITIES, timezone=ctx.alerting.timezone)
    pages = _Pages(ctx, templates)
    routes = [
        Route("/", pages.incidents), Route("/incidents/{incident_id:int}", pages.incident),
        Route("/incidents/{incident_id:int}/{action:str}", pages.incident_action, methods=["POST"]),
        Route("/sources", pages.sources), Route("/outbox", pages.outbox),
        Route("/outbox/resend", pages.resend, methods=["POST"]),
        Route("/silences", pages.silences, methods=["GET", "POST"]),
        Route("/silences/{silence_id:int}/expire", pages.expire, methods=["POST"]),
        Route("/try", pages.try_it, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    allowed = hosts or ["127.0.0.1", "localhost", "[::1]"]
    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed)])
    protected = asgi_csrf(app, signing_secret=secrets.token_hex(16), always_protect=_EveryPath())
    return _RequireCredentials(protected, credentials or Credentials())


class _RequireCredentials:
    """Answer 401 (asking the browser for basic auth) unless the request proves a configured credential."""

    def __init__(self, app: Any, credentials: Credentials) -> None:
        self.app, self.credentials = app, credentials

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            user = self.credentials.user_of(Headers(scope=scope).get("authorization", ""))
            if user is None:
                response = PlainTextResponse("credentials required", 401,
                                             headers={"WWW-Authenticate": 'Basic realm="fangsiang console"'})
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)


class _Pages:
    def __init__(self, ctx: views.ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx, self.templates = ctx, templates

    def _page(self, request: Request, name: str, status: int = 200, **values: Any) -> Response:
        values.update(csrf=request.scope["csrftoken"](), message=request.query_params.get("done", ""))
        return self.templates.TemplateResponse(request, name, values, status_code=status)

    def _writes(self, request: Request) -> Response | None:
        if self.ctx.read_only:
            return PlainTextResponse("this console is read-only (fangsiang console); the daemon's console "
                                     "(fangsiang run) can change things", 403)
        return None

    @staticmethod
    def _back(path: str, done: str) -> Response:
        return RedirectResponse(f"{path}?{urlencode({'done': done})}", status_code=303)

    async def incidents(self, request: Request) -> Response:
        q = request.query_params
        wanted = IncidentFilter(status=q.get("status", "open"), severity=q.get("severity", ""),
                                watchlist=q.get("watchlist", ""), acked=q.get("acked", ""))
        return self._page(request, "incidents.html", lines=views.incident_lines(self.ctx, wanted), wanted=wanted,
                          watchlists=views.watchlist_names(self.ctx))

    async def incident(self, request: Request) -> Response:
        page = views.incident_page(self.ctx, request.path_params["incident_id"])
        if page is None:
            return PlainTextResponse("no such incident", 404)
        return self._page(request, "incident.html", page=page, i=page.incident)

    async def incident_action(self, request: Request) -> Response:
        incident_id, action = request.path_params["incident_id"], request.path_params["action"]
        refused = self._writes(request)
        if refused is not None:
            return refused
        user = request.scope["state"]["user"]
        path = f"/incidents/{incident_id}"
        if action == "silence":
            form = await request.form()
            incident = views.incident_page(self.ctx, incident_id)
            if incident is None:
                return PlainTextResponse("no such incident", 404)
            thread = f"{incident.incident.source}/{incident.incident.thread_id}"
            try:
                silence_id = views.add_silence(self.ctx, hours=_hours(form.get("hours")), thread=thread, by=user)
            except ValueError as exc:
                return PlainTextResponse(str(exc), 400)
            return self._back(path, f"thread silenced (silence #{silence_id})")
        if action not in ("acknowledge", "snooze"):
            return PlainTextResponse("unknown action", 404)
        if not views.incident_action(self.ctx, incident_id, action, user):
            return PlainTextResponse("no such incident", 404)
        return self._back(path, "acknowledged" if action == "acknowledge" else "snoozed for 4 h")

    async def sources(self, request: Request) -> Response:
        return self._page(request, "sources.html", states=views.source_states(self.ctx))

    async def outbox(self, request: Request) -> Response:
        view = request.query_params.get("view", "failed")
        view = view if view in ("failed", "waiting", "all") else "failed"
        return self._page(request, "outbox.html", rows=views.outbox_rows(self.ctx, view), view=view)

    async def resend(self, request: Request) -> Response:
        refused = self._writes(request)
        if refused is not None:
            return refused
        form = await request.form()
        ids = [int(v) for v in form.getlist("id") if str(v).isdigit()]
        count = views.resend(self.ctx, ids if form.get("scope") != "all" else None)
        return self._back("/outbox", f"{count} dead alert(s) queued to be sent again")

    async def silences(self, request: Request) -> Response:
        error = ""
        if request.method == "POST":
            refused = self._writes(request)
            if refused is not None:
                return refused
            form = await request.form()
            try:
                silence_id = views.add_silence(
                    self.ctx, hours=_hours(form.get("hours")), watchlist=str(form.get("watchlist", "")),
                    thread=str(form.get("thread", "")), term=str(form.get("term", "")),
                    by=request.scope["state"]["user"], comment=str(form.get("comment", "")))
                return self._back("/silences", f"silence #{silence_id} is on")
            except ValueError as exc:
                error = str(exc)
        return self._page(request, "silences.html", 400 if error else 200, lines=views.silence_lines(self.ctx),
                          error=error, watchlists=views.watchlist_names(self.ctx))

    async def expire(self, request: Request) -> Response:
        refused = self._writes(request)
        if refused is not None:
            return refused
        silence_id = request.path_params["silence_id"]
        if not views.expire_silence(self.ctx, silence_id, request.scope["state"]["user"]):
            return PlainTextResponse("no such silence", 404)
        return self._back("/silences", f"silence #{silence_id} expired")

    async def try_it(self, request: Request) -> Response:
        result = None
        if request.method == "POST":
            text = str((await request.form()).get("text", "")).strip()
            result = views.try_text(self.ctx, text) if text else None
        return self._page(request, "try.html", result=result)


def _hours(value: Any) -> float:
    try:
        hours = float(str(value or "").strip())
    except ValueError:
        raise ValueError("the duration is a number of hours, e.g. 4 or 0.5") from None
    return hours


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return "–" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def _ago(delta: timedelta | None) -> str:
    if delta is None:
        return "–"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // 1440} d"
