"""Render an ``Alert`` into Slack Block Kit: pure, no I/O, tested against golden JSON.

One layout per ``alert.kind``:

- ``new`` / ``update``: the incident card (same layout; an update carries the current numbers and is
  written over the original message).
- ``escalation``: a thread reply stating the tier change, with mentions of the configured ids.
- ``reply``: a thread reply for a new risky comment.
- ``digest``: a list of items; ``group``: several new incidents of one brand and cause in one message;
  ``summary``: the daily per-watchlist summary; ``health``: an ops notice,
  e.g. a source went blind or came back (green when the severity or title says "recovered").

All post-derived text goes through ``mrkdwn.escape`` (so it can never mention anyone) and, unless
``mask=False``, through ``privacy.mask_personal_data``. Slack's size limits are enforced here. Times are
shown to the minute in ``timezone`` (the notifier passes config key ``alerting.timezone``; default UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo

from alerts import mrkdwn as M
from alerts.privacy import mask_personal_data
from alerts.types import Alert

Block = dict[str, Any]

SEVERITY_EMOJI = {"critical": "🔴", "high": "🟠", "watch": "🟡"}
LANGUAGES = {"th": "Thai", "en": "English", "zh": "Chinese"}
ENGAGEMENT_ORDER = ("comments", "likes", "reactions", "shares", "views")
GROWTH_LABELS = {"comments_per_hour": "comments/h", "reactions_per_hour": "reactions/h", "acceleration": "accel"}
ACTIONS = (("ack", "Acknowledge", "primary"), ("snooze", "Snooze", None), ("not_relevant", "Not relevant", "danger"))
ACTION_PREFIX = "fangsiang_"
# The "Silence…" menu on interactive cards: (what, hours, label); its value is "<incident id>:<what>:<hours>"
SILENCE_CHOICES = (("thread", 24, "Silence this thread for 24 h"), ("watchlist", 1, "Silence {watchlist} for 1 h"),
                   ("watchlist", 4, "Silence {watchlist} for 4 h"))
EXCERPT_LIMIT = 1200  # keep the card readable; the link has the rest
ITEM_EXCERPT_LIMIT = 200


@dataclass(frozen=True)
class RenderedMessage:
    text: str  # notification / fallback text
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class _Ctx:
    mask: bool
    interactive: bool
    timezone: str = "UTC"

    def when(self, iso: str) -> str:
        """An ISO-8601 time as local minutes ("2026-11-22 09:10 +07"); a bare date or odd text as it is."""
        try:
            moment = datetime.fromisoformat(iso) if "T" in iso or " " in iso.strip() else None
        except ValueError:
            moment = None
        if moment is None:
            return M.escape(iso)
        aware = moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)  # stored times are UTC
        local = aware.astimezone(ZoneInfo(self.timezone))
        return M.escape(f"{local:%Y-%m-%d %H:%M} {local.tzname()}")

    def clean(self, text: str, limit: int | None = None, one_line: bool = False, plain: bool = False) -> str:
        """Untrusted text → masked, (optionally) one line, cut to ``limit`` and escaped (for plain_text
        objects when ``plain``, else for mrkdwn)."""
        text = self.unescaped(text, limit, one_line)
        return M.escape_plain(text) if plain else M.escape(text)

    def unescaped(self, text: str, limit: int | None = None, one_line: bool = False) -> str:
        """Masked and cut but not escaped: only for ``M.link`` labels, which escape themselves."""
        text = mask_personal_data(text) if self.mask else text
        text = M.one_line(text) if one_line else text.strip()
        return M.clip(text, limit) if limit else text


def render(alert: Alert, *, mask: bool = True, interactive: bool = False,
           timezone: str = "UTC") -> RenderedMessage:
    """Render ``alert`` per its kind; an unknown kind renders as a new incident card."""
    ctx = _Ctx(mask=mask, interactive=interactive, timezone=timezone)
    builder = _KINDS.get(alert.kind, _card)
    message = builder(alert, ctx)
    blocks = message.blocks[: M.MAX_BLOCKS]
    return RenderedMessage(text=M.clip(message.text, M.TEXT_LIMIT), blocks=blocks)


# -- shared pieces ------------------------------------------------------------------------------------------
def _emoji(severity: str) -> str:
    return SEVERITY_EMOJI.get(severity.lower(), "⚪")


def _lang(code: str) -> str:
    name = LANGUAGES.get(code.lower())
    return f"{name} ({code})" if name else (code or "unknown")


def _engagement(values: dict[str, int]) -> str:
    keys = [k for k in ENGAGEMENT_ORDER if k in values] + sorted(k for k in values if k not in ENGAGEMENT_ORDER)
    return " · ".join(f"{values[k]:,} {M.escape(k)}" for k in keys) or "–"


def _growth(values: dict[str, float]) -> str:
    parts = []
    for key in sorted(values, key=lambda k: (k not in GROWTH_LABELS, k)):
        label = GROWTH_LABELS.get(key, M.escape(key))
        sign = "×" if key == "acceleration" else "+"
        parts.append(f"{sign}{values[key]:.1f} {label}" if sign == "+" else f"{label} {sign}{values[key]:.1f}")
    return " · ".join(parts) or "–"


def _quote(text: str) -> str:
    return "\n".join(">" + line if line else ">" for line in text.splitlines()) if text else ""


def _context(*parts: str) -> Block:
    text = " · ".join(p for p in parts if p)
    return {"type": "context", "elements": [M.md(text, M.CONTEXT_LIMIT)]}


def _field(label: str, value: str) -> dict[str, object]:
    return M.md(f"*{label}*\n{value}", M.FIELD_LIMIT)


def _actions(alert: Alert) -> Block:
    buttons = []
    for action, label, style in ACTIONS:
        button: Block = {"type": "button", "action_id": ACTION_PREFIX + action, "value": str(alert.incident_id),
                         "text": M.plain(label, M.BUTTON_LIMIT)}
        if style:
            button["style"] = style
        buttons.append(button)
    options = [{"text": M.plain(label.format(watchlist=alert.watchlist or "this watchlist"), M.OPTION_LIMIT),
                "value": f"{alert.incident_id}:{what}:{hours}"} for what, hours, label in SILENCE_CHOICES]
    buttons.append({"type": "overflow", "action_id": ACTION_PREFIX + "silence", "options": options})
    # Slack asks for a fresh block_id on every edit of a message, hence the revision.
    block_id = f"{ACTION_PREFIX}incident_{alert.incident_id}_r{alert.revision}"
    return {"type": "actions", "block_id": block_id, "elements": buttons}


def _source_label(alert: Alert) -> str:
    return f"Open on {alert.source}" if alert.source else "Open post"


def _card_fields(alert: Alert) -> list[dict[str, object]]:
    fields = [
        _field("Risk", f"{alert.risk:.2f}"),
        _field("Severity", f"{_emoji(alert.severity)} {M.escape(alert.severity.upper())}"),
        _field("Watchlist", M.escape(alert.watchlist)), _field("Language", M.escape(_lang(alert.lang))),
        _field("Engagement", _engagement(alert.engagement)), _field("Growth", _growth(alert.growth)),
    ]
    if alert.sentiment:
        fields.insert(4, _field("Sentiment", M.escape(alert.sentiment)))
    if alert.forecast:
        fields.append(_field("Forecast", M.escape(alert.forecast)))
    return fields


# -- kinds --------------------------------------------------------------------------------------------------
def _card(alert: Alert, ctx: _Ctx) -> RenderedMessage:
    """The incident card, for ``new`` and (same layout) ``update``."""
    title = ctx.clean(alert.title, M.HEADER_LIMIT, one_line=True) or "(untitled)"
    header = ctx.clean(alert.title, M.HEADER_LIMIT, one_line=True, plain=True) or "(untitled)"
    severity = alert.severity.upper()
    excerpt = _quote(ctx.clean(alert.excerpt, EXCERPT_LIMIT))
    blocks: list[Block] = [
        {"type": "header",
         "text": M.plain(f"{_emoji(alert.severity)} {M.escape_plain(severity)}: {header}", M.HEADER_LIMIT)},
        {"type": "section", "text": M.md(f"*{M.link(alert.url, _source_label(alert))}*\n{excerpt}".rstrip())},
        {"type": "section", "fields": _card_fields(alert)},
        _context(f"*Why:* {ctx.clean(alert.reason, 500, one_line=True)}"),
        _context(f"Incident #{alert.incident_id}", f"rev {alert.revision}", "updated" if alert.kind == "update" else "",
                 M.escape(alert.source), ctx.when(alert.posted_at)),
    ]
    pings = M.mentions(alert.mentions) if alert.kind != "update" else ""  # an edit must not re-page anyone
    if pings:
        blocks.append({"type": "section", "text": M.md(f"cc {pings}")})
    if ctx.interactive:
        blocks.append(_actions(alert))
    text = f"{_emoji(alert.severity)} [{severity}] {title} — {M.escape(alert.watchlist)} (risk {alert.risk:.2f})"
    return RenderedMessage(text=f"{pings} {text}" if pings else text, blocks=blocks)


def _escalation(alert: Alert, ctx: _Ctx) -> RenderedMessage:
    before = M.escape(alert.previous_severity.upper()) if alert.previous_severity else ""
    after = M.escape(alert.severity.upper())
    change = f"{before} → {after}" if before else after
    reason = ctx.clean(alert.reason, 500, one_line=True)
    pings = M.mentions(alert.mentions)
    blocks: list[Block] = [
        {"type": "section", "text": M.md(f"⬆️ *Escalated: {change}* {_emoji(alert.severity)}\n*Why:* {reason}")},
        _context(f"Risk {alert.risk:.2f}", _engagement(alert.engagement), _growth(alert.growth)),
    ]
    if pings:
        blocks.append({"type": "section", "text": M.md(f"cc {pings}")})
    text = f"⬆️ Escalated {change}: {ctx.clean(alert.title, 150, one_line=True)}"
    return RenderedMessage(text=f"{pings} {text}" if pings else text, blocks=blocks)


def _reply(alert: Alert, ctx: _Ctx) -> RenderedMessage:
    excerpt = ctx.clean(alert.excerpt, EXCERPT_LIMIT)
    head = f"💬 *New risky comment* · {M.link(alert.url, 'open')}"
    blocks: list[Block] = [
        {"type": "section", "text": M.md(f"{head}\n{_quote(excerpt)}".rstrip())},
        _context(f"Risk {alert.risk:.2f}", M.escape(alert.sentiment), M.escape(_lang(alert.lang)),
                 f"*Why:* {ctx.clean(alert.reason, 500, one_line=True)}"),
    ]
    short = ctx.clean(alert.excerpt, 150, one_line=True)
    return RenderedMessage(text=f"💬 New risky comment (risk {alert.risk:.2f}): {short}", blocks=blocks)


def _item_line(item: Alert, ctx: _Ctx) -> str:
    title = M.link(item.url, ctx.unescaped(item.title, 150, one_line=True) or "(untitled)")
    line = f"{_emoji(item.severity)} *{title}* · risk {item.risk:.2f} · {M.escape(item.severity)}"
    reason = ctx.clean(item.reason, 300, one_line=True)
    excerpt = ctx.clean(item.excerpt, ITEM_EXCERPT_LIMIT, one_line=True)
    return "\n".join(p for p in (line, reason, _quote(excerpt)) if p)


def _digest(alert: Alert, ctx: _Ctx) -> RenderedMessage:
    title = ctx.clean(alert.title, M.HEADER_LIMIT, one_line=True) or "Digest"
    header = ctx.clean(alert.title, M.HEADER_LIMIT, one_line=True, plain=True) or "Digest"
    count = len(alert.items)
    room = M.MAX_BLOCKS - 3  # header, context, and a possible "… more" line
    blocks: list[Block] = [
        {"type": "header", "text": M.plain(f"📋 {header}", M.HEADER_LIMIT)},
        _context(f"{count} alert{'s' if count != 1 else ''}", M.escape(alert.watchlist)),
    ]
    blocks += [{"type": "section", "text": M.md(_item_line(item, ctx))} for item in alert.items[:room]]
    if count > room:
        blocks.append(_context(f"…and {count - room} more"))
    return RenderedMessage(text=f"📋 {title}: {count} alerts — {M.escape(alert.watchlist)}", blocks=blocks)


def _group(alert: Alert, ctx: _Ctx) -> RenderedMessage:
    """Several new incidents of one brand and cause, in one message (an edit shows each as it is now)."""
    header = ctx.clean(alert.title, M.HEADER_LIMIT, one_line=True, plain=True) or "Grouped incidents"
    title = ctx.clean(alert.title, M.HEADER_LIMIT, one_line=True) or "Grouped incidents"
    room = M.MAX_BLOCKS - 4  # header, context, mentions, and a possible "… more" line
    blocks: list[Block] = [
        {"type": "header", "text": M.plain(f"{_emoji(alert.severity)} {header}", M.HEADER_LIMIT)},
        _context(f"{len(alert.items)} threads", M.escape(alert.watchlist), M.escape(alert.reason),
                 "updated" if alert.message_ts else ""),
    ]
    blocks += [{"type": "section", "text": M.md(_item_line(item, ctx))} for item in alert.items[:room]]
    if len(alert.items) > room:
        blocks.append(_context(f"…and {len(alert.items) - room} more"))
    pings = M.mentions(alert.mentions) if not alert.message_ts else ""  # an edit must not re-page anyone
    if pings:
        blocks.append({"type": "section", "text": M.md(f"cc {pings}")})
    text = f"{_emoji(alert.severity)} {title} (worst risk {alert.risk:.2f})"
    return RenderedMessage(text=f"{pings} {text}" if pings else text, blocks=blocks)


def _summary_counts(alert: Alert) -> dict[str, int]:
    if alert.counts:
        return dict(alert.counts)
    counts: dict[str, int] = {}
    for item in alert.items:
        counts[item.sentiment or "unknown"] = counts.get(item.sentiment or "unknown", 0) + 1
    return counts


def _summary(alert: Alert, ctx: _Ctx) -> RenderedMessage:
    title = ctx.clean(alert.title, M.HEADER_LIMIT, one_line=True) or "Daily summary"
    header = ctx.clean(alert.title, M.HEADER_LIMIT, one_line=True, plain=True) or "Daily summary"
    counts = _summary_counts(alert)
    total = sum(counts.values())
    fields = [_field(M.escape(label), f"{n:,}") for label, n in sorted(counts.items(), key=lambda kv: -kv[1])][:9]
    fields.append(_field("Total", f"{total:,}"))
    lines, used = [], 0
    for rank, item in enumerate(alert.items, 1):
        line = (f"{rank}. {M.link(item.url, ctx.unescaped(item.title, 120, one_line=True) or '(untitled)')}"
                f" — {item.engagement.get('comments', 0):,} comments · risk {item.risk:.2f}")
        if used + len(line) + 40 > M.SECTION_LIMIT:  # never cut a link in half: stop before the limit
            lines.append(f"…and {len(alert.items) - rank + 1} more")
            break
        lines.append(line)
        used += len(line) + 1
    blocks: list[Block] = [
        {"type": "header", "text": M.plain(f"📊 {header}", M.HEADER_LIMIT)},
        _context(f"Watchlist *{M.escape(alert.watchlist)}*", ctx.when(alert.posted_at)),
        {"type": "section", "fields": fields},
    ]
    if lines:
        blocks.append({"type": "section", "text": M.md("*Top threads*\n" + "\n".join(lines))})
    return RenderedMessage(text=f"📊 {title} — {M.escape(alert.watchlist)}: {total:,} posts", blocks=blocks)


def _health(alert: Alert, ctx: _Ctx) -> RenderedMessage:
    """An ops notice: the title states what happened ("Pantip scraper is blind since 09:12")."""
    words = f"{alert.severity} {alert.title}".lower()
    recovered = alert.severity.lower() in ("recovered", "ok") or "recovered" in words
    emoji = "🟢" if recovered else ("🔴" if alert.severity.lower() == "critical" else "🟠")
    what = ctx.clean(alert.title or alert.source, M.HEADER_LIMIT, one_line=True) or "Source health"
    detail = ctx.clean(alert.reason or alert.excerpt, 1000)
    blocks: list[Block] = [
        {"type": "section", "text": M.md(f"{emoji} *{what}*\n{detail}".rstrip())},
        _context(M.escape(alert.source), f"since {ctx.when(alert.posted_at)}" if alert.posted_at else ""),
    ]
    return RenderedMessage(text=f"{emoji} {what}", blocks=blocks)


_KINDS = {"new": _card, "update": _card, "escalation": _escalation, "reply": _reply, "digest": _digest,
          "summary": _summary, "health": _health, "group": _group}
