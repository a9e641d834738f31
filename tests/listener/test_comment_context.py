"""A comment is judged with its thread's title, the way a reader sees it (the store knows every comment's
topic): "me too" under a complaint is part of the complaint, under a question it is not."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from listener.store import Store
from listener.store.models import VerdictRow
from listener.store.posts_repo import insert_new_posts
from listener.triage.stages import score_pending
from listener.triage.watchlists import WatchlistSet
from listener.config.watchlists import Watchlist
from scrapers.base import Post
from sentiment import load_backend

NOW = datetime(2024, 7, 1, 12, tzinfo=timezone.utc)
ME_TOO = "ผมก็โดนเหมือนกันครับ"


def _post(thread: str, external_id: str, title: str, text: str, start: bool) -> Post:
    return Post(source="pantip", kind="pantip", external_id=external_id, thread_id=thread, url=f"u/{external_id}",
                title=title, text=text, author="a", posted_at=NOW, read_at=NOW, is_thread_start=start)


@pytest.fixture(scope="module")
def backend():
    return load_backend("embedded")


def test_a_comment_is_scored_under_its_thread_title(tmp_path: Path, backend) -> None:
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    store.migrate()
    watchlists = WatchlistSet([Watchlist(name="lineman", terms=["ไลน์แมน"])])
    with store.session() as session:
        insert_new_posts(session, [
            _post("1", "1", "ไลน์แมนไม่คืนเงิน รอสองอาทิตย์แล้ว แย่มาก", "สั่งอาหารไม่ได้ของ ขอเงินคืนก็เงียบ", True),
            _post("1", "1-c", "", ME_TOO, False),
            _post("2", "2", "ไลน์แมนสมัครไรเดอร์ยังไงครับ", "อยากสมัครช่วงเสาร์อาทิตย์", True),
            _post("2", "2-c", "", ME_TOO, False)], now=NOW, backfill=False)
    score_pending(store, backend, watchlists, clock=lambda: NOW)
    with store.session() as session:
        complaint = {v.post_id: v.complaint for v in session.query(VerdictRow)}
    store.dispose()
    under_complaint, under_question = complaint[2], complaint[4]
    assert under_complaint > under_question
    alone, framed = backend.predict([ME_TOO, f"ไลน์แมนสมัครไรเดอร์ยังไงครับ\n{ME_TOO}"], kinds=["forum", "forum"])
    assert under_question == pytest.approx((alone.complaint * framed.complaint) ** 0.5, abs=1e-6)
