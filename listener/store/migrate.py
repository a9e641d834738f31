"""Alembic migrations, run programmatically (no alembic.ini to keep next to the config).

`python -m listener.store.migrate revision "why"` autogenerates a new revision from the models
against a scratch SQLite database; the daemon calls `upgrade_to_head` at start. On PostgreSQL several daemons
may start at once: the upgrade runs under a session advisory lock, so one migrates and the others wait for it
and then find the schema current (two upgrades racing would both try to create the same tables).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.autogenerate import compare_metadata
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from listener.store.models import Base

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed number shared by every fangsiang process: the advisory lock the upgrade holds on PostgreSQL.
MIGRATION_LOCK = 0x66616E67  # "fang"


def _config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":  # SQLite: one daemon per file, nothing to race with
        command.upgrade(_config(engine), "head")
        return
    # The lock lives on its own connection, held for the whole upgrade; a process killed meanwhile loses its
    # connection and with it the lock, so a waiting daemon carries on. The lock is database-wide: daemons of
    # another schema in the same database wait their turn too, which costs them a second at most.
    with engine.connect() as holder:
        holder.execute(select(func.pg_advisory_lock(MIGRATION_LOCK)))
        try:
            command.upgrade(_config(engine), "head")
        finally:
            holder.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK)))


def pending_model_changes(engine: Engine) -> list:
    """Differences between the migrated schema and the models (empty when migrations are complete)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        return compare_metadata(context, Base.metadata)


def new_revision(message: str, rev_id: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.db")
        upgrade_to_head(engine)
        command.revision(_config(engine), message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "revision":
        new_revision(sys.argv[2], *sys.argv[3:])
    else:
        sys.exit("usage: python -m listener.store.migrate revision MESSAGE [REVISION_ID]")
