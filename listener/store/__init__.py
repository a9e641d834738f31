"""The database: engine set-up, sessions, schema migrations. The one home of SQLAlchemy.

Reads config key `storage.url` (any SQLAlchemy URL; default a SQLite file). SQLite runs in WAL mode
so the scheduler's jobs can read while one writes. A new SQLite file is created readable by its owner only
(0600; SQLite gives its -wal and -shm files the same mode): it holds what people posted.
"""

from __future__ import annotations

import logging
import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from listener.store.models import Base

log = logging.getLogger(__name__)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends normally, rolled back on an exception."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def trial(self) -> Iterator[Session]:
        """A unit of work that is always rolled back: to find out whether the database accepts something."""
        session = self._sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def ping(self) -> None:
        """Raise unless the database answers a trivial query (the readiness probe)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def create_all(self) -> None:
        """Create tables directly (tests); the daemon uses `migrate()`."""
        Base.metadata.create_all(self.engine)

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from listener import shutdown
        from listener.store.migrate import upgrade_to_head

        with shutdown.shielded():  # SIGTERM during start-up waits for the migration to finish
            upgrade_to_head(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _create_private(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does (it would use the umask, usually 0644)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            log.warning("the database %s can be read by other users of this machine (chmod 600 it)", path)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
