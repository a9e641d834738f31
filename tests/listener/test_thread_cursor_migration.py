"""Upgrading a database written before thread cursors were kept per thread: nothing a re-read needs is lost.

The tracker's cursors lived in one JSON document per source (`sources.thread_cursors`) and the Pantip listing's
per-topic cursors in the source's own cursor (`cursor["topics"]`); revision 0102 moves both into `thread_cursors`.
On a real SQLite file and, when reachable, on the PostgreSQL at 127.0.0.1:5432.
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Integer, String, column, select, table

from listener.store import Store, sources_repo
from listener.store.migrate import MIGRATIONS_DIR

TRACKED = {"43600001": {"comments": 120, "replies": {"7": 9}}, "43600002": {"comments": 3, "replies": {}}}
LISTED = {"43600001": {"comments": 100, "replies": {}}, "43600003": {"comments": 8, "replies": {"5": 1}}}
LISTINGS = {"room:mbk": {"newest": "43600003"}}
OLD_SOURCES = table("sources", column("name", String()), column("kind", String()), column("cursor", JSON()),
                    column("thread_cursors", JSON()), *(column(name, Integer()) for name in (
                        "consecutive_failures", "zero_result_streak", "runs_total", "errors_total", "posts_total")))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/old.db"
    return request.getfixturevalue("postgres_schema_url")


def _alembic(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = store.engine
    return config


def test_upgrade_moves_every_thread_cursor_into_its_own_row(url: str) -> None:
    store = Store(url)
    command.upgrade(_alembic(store), "0001")
    with store.engine.begin() as conn:  # a source row as the previous release wrote it
        conn.execute(OLD_SOURCES.insert().values(
            name="pantip-mbk", kind="pantip", cursor={"listings": LISTINGS, "topics": LISTED}, thread_cursors=TRACKED,
            consecutive_failures=0, zero_result_streak=0, runs_total=0, errors_total=0, posts_total=0))
    store.migrate()
    with store.session() as session:
        kept = {tid: sources_repo.thread_cursor(session, "pantip-mbk", tid) for tid in ("43600001", "43600002",
                                                                                        "43600003", "43600004")}
        state = sources_repo.source_state(session, "pantip-mbk", "pantip")
        assert state.cursor == {"listings": LISTINGS}  # the listing's own cursor is untouched otherwise
    assert kept == {"43600001": TRACKED["43600001"],  # the tracker's cursor wins: it read further
                    "43600002": TRACKED["43600002"], "43600003": LISTED["43600003"], "43600004": None}
    command.downgrade(_alembic(store), "0001")  # and back, for a roll-back of the release
    with store.engine.connect() as conn:
        back = conn.execute(select(OLD_SOURCES.c.thread_cursors)).scalar_one()
    assert back == {**LISTED, **TRACKED}
    store.dispose()
