"""The store on a real SQLite file and, when reachable, on the PostgreSQL at 127.0.0.1:5432."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from listener.store import Store
from listener.store.migrate import pending_model_changes
from listener.store.posts_repo import insert_new_posts, posts_to_score, record_snapshots
from listener.store.sources_repo import source_state
from scrapers.base import Engagement, Post

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)


def _post(external_id: str, text: str = "เน็ตล่มอีกแล้ว", comments: int | None = 5) -> Post:
    return Post(source="pantip-test", kind="pantip", external_id=external_id, thread_id=external_id,
                url=f"https://pantip.com/topic/{external_id}", title="t", text=text, author="a",
                posted_at=NOW - timedelta(hours=1), engagement=Engagement(comments=comments), read_at=NOW)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/fangsiang.db"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    store = Store(url)
    store.migrate()
    yield store
    store.dispose()


def test_migrations_build_exactly_the_models(store: Store) -> None:
    assert pending_model_changes(store.engine) == []


def test_posts_are_stored_once_per_source_and_id(store: Store) -> None:
    with store.session() as session:
        first = insert_new_posts(session, [_post("1"), _post("2"), _post("1")], now=NOW, backfill=False)
    with store.session() as session:
        again = insert_new_posts(session, [_post("2"), _post("3")], now=NOW, backfill=False)
    assert [r.external_id for r in first] == ["1", "2"]
    assert [r.external_id for r in again] == ["3"]
    with store.session() as session:
        assert [r.external_id for r in posts_to_score(session, 10)] == ["1", "2", "3"]


def test_thai_text_and_aware_times_round_trip(store: Store) -> None:
    with store.session() as session:
        insert_new_posts(session, [_post("9", text="ร้องเรียน สคบ. 投诉 🙏")], now=NOW, backfill=True)
        record_snapshots(session, [_post("9")], now=NOW)
    with store.session() as session:
        row = posts_to_score(session, 1)[0]
        assert row.text == "ร้องเรียน สคบ. 投诉 🙏"
        assert row.posted_at == NOW - timedelta(hours=1)
        assert row.posted_at.tzinfo is not None and row.backfill is True


def test_cursor_survives_a_new_store_on_the_same_database(store: Store) -> None:
    with store.session() as session:
        source_state(session, "pantip-test", "pantip").cursor = {"rooms": {"mbk": 43500001}}
    reopened = Store(store.url)
    with reopened.session() as session:
        assert source_state(session, "pantip-test", "pantip").cursor == {"rooms": {"mbk": 43500001}}
    reopened.dispose()
