"""Alembic environment: runs migrations on the engine handed over in `config.attributes`."""

from alembic import context

from listener.store.models import Base, UtcDateTime


def render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    """Migrations store UtcDateTime as what it is in the database: a timezone-aware DateTime."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table instead
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
