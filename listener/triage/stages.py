"""The scoring and evaluation stages.

score: posts not yet scored are matched against the watchlists; the matched ones are scored by the model
(one batch) and their verdicts and matches written. A comment that names no brand inherits the
watchlists of its thread, because complaints often grow in the comments of a matched topic.
evaluate: scored posts go to the incident engine, which decides risk, incidents and alerts. Posts read
on a source's first run (backfill) are kept for summaries but never alerted.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from listener import metrics
from listener.store import Store
from listener.store.models import MatchRow, PostRow, VerdictRow
from listener.store.posts_repo import (mark_evaluated, matches_of_posts, posts_to_evaluate, posts_to_score,
                                       thread_titles, thread_watchlists, verdicts_of)
from sentiment.context import predict_in_threads
from sentiment.types import Verdict

log = logging.getLogger(__name__)
INHERITED = "(thread)"  # the term recorded for a comment that matched through its thread
# Every source the daemon reads is a forum, a social feed or news: the model judges their posts as such, never
# with its call-centre complaint expert (see sentiment/MODEL_CARD.md).
TEXT_KIND = "forum"


def post_text(row: PostRow) -> str:
    return f"{row.title}\n{row.text}".strip() if row.is_thread_start else row.text


def score_pending(store: Store, backend: Any, watchlists: Any, *, clock: Callable[[], datetime],
                  batch_size: int = 256, stored: Mapping[int, Verdict] | None = None) -> int:
    """Match and score one batch of new posts; return how many posts were processed.

    `stored`: verdicts already known by post id, used instead of asking the model again (a backtest re-runs
    edited watchlists over posts scored before)."""
    with store.session() as session:
        rows = posts_to_score(session, batch_size)
        if not rows:
            return 0
        now = clock()
        matched: list[PostRow] = []
        for row in rows:  # one by one, so a comment sees the matches of its topic from the same batch
            names = _watchlist_terms(session, row, watchlists)
            for name, (terms, cues) in names.items():
                session.add(MatchRow(post_id=row.id, watchlist=name, terms=list(terms), cues=list(cues),
                                     matched_at=now))
                metrics.POSTS_MATCHED.labels(name).inc()
            if names:
                matched.append(row)
                session.flush()
        known = stored or {}
        fresh = [row for row in matched if row.id not in known]
        titles = thread_titles(session, {(r.source, r.thread_id) for r in fresh if not r.is_thread_start})
        with metrics.SCORE_SECONDS.time():
            texts = [post_text(row) for row in fresh]
            # a comment is judged alone and under its thread's title (sentiment.context)
            threads = [None if row.is_thread_start else titles.get((row.source, row.thread_id)) for row in fresh]
            verdicts = predict_in_threads(backend, texts, threads, [TEXT_KIND] * len(texts)) if fresh else []
        scored = {row.id: verdict for row, verdict in zip(fresh, verdicts)}
        for row in matched:
            session.add(_verdict_row(row.id, known.get(row.id) or scored[row.id], now))
        for row in rows:
            row.scored_at = now
    metrics.POSTS_SCORED.inc(len(matched))
    log.debug("scored %d of %d new posts (the rest matched no watchlist)", len(matched), len(rows))
    return len(rows)


def evaluate_pending(store: Store, engine: Any, watchlists: Any, *, clock: Callable[[], datetime],
                     batch_size: int = 256) -> int:
    """Hand scored posts to the incident engine; return how many posts were evaluated."""
    with store.session() as session:
        rows = posts_to_evaluate(session, batch_size)
        live = [row.id for row in rows if not row.backfill]
        # Read the batch's verdicts and matches, then its threads, in a few queries rather than a few per post.
        verdicts, matches = verdicts_of(session, live), matches_of_posts(session, live)
        observed = [row for row in rows if row.id in verdicts]
        threads = engine.batch(session, [(row.source, row.thread_id) for row in observed]) if observed else None
        for row in observed:
            _observe(session, engine, watchlists, row, verdicts[row.id], matches.get(row.id, ()), threads)
        mark_evaluated(session, [row.id for row in rows], clock())
    return len(rows)


def _observe(session: Any, engine: Any, watchlists: Any, row: PostRow, verdict_row: VerdictRow,
             matches: Iterable[MatchRow], threads: Any) -> None:
    verdict = Verdict(lang=verdict_row.lang, label=verdict_row.label, probs=dict(verdict_row.probs),
                      complaint=verdict_row.complaint, cues=tuple(verdict_row.cues), model=verdict_row.model)
    for match in matches:
        watchlist = watchlists.get(match.watchlist)
        if watchlist is None:  # removed from the YAML since the post was matched
            continue
        extra = tuple(c for c in match.cues if c not in verdict.cues)
        seen = replace(verdict, cues=verdict.cues + extra) if extra else verdict
        incident = engine.observe(session, row, seen, watchlist, tuple(match.terms), threads)
        if incident is not None:
            match.risk, match.reason = incident.risk, incident.reason


def _watchlist_terms(session: Any, row: PostRow, watchlists: Any) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Watchlist name -> (matched terms, the watchlist's own cues found)."""
    found = {m.watchlist.name: (tuple(m.terms), tuple(m.cues))
             for m in watchlists.match(post_text(row), source=row.source)}
    if not found and not row.is_thread_start:
        for name in thread_watchlists(session, row.source, row.thread_id):
            watchlist = watchlists.get(name)
            if watchlist is not None and (watchlist.sources is None or row.source in watchlist.sources):
                found[name] = ((INHERITED,), ())
    return found


def _verdict_row(post_id: int, verdict: Verdict, now: datetime) -> VerdictRow:
    return VerdictRow(post_id=post_id, lang=verdict.lang, label=verdict.label,
                      probs={k: round(float(v), 6) for k, v in verdict.probs.items()},
                      complaint=round(float(verdict.complaint), 6), cues=list(verdict.cues),
                      model=verdict.model, scored_at=now)
