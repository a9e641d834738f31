"""Daemons started together on an empty PostgreSQL database all come up: the schema is migrated once, under a
lock, while the others wait for it and then find it current. Each migration runs in its own process, as each
daemon would. Skipped when PostgreSQL is not reachable on 127.0.0.1:5432."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import create_engine, text

MIGRATE = "import sys; from listener.store import Store; Store(sys.argv[1]).migrate(); print('migrated')"


def test_three_processes_migrating_an_empty_database_at_once_all_succeed(postgres_schema_url: str) -> None:
    processes = [subprocess.Popen([sys.executable, "-c", MIGRATE, postgres_schema_url], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    engine = create_engine(postgres_schema_url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        tables = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
    engine.dispose()
    assert len(versions) == 1  # one upgrade recorded, not one per process
    assert {"posts", "outbox", "incidents", "sources"} <= tables
