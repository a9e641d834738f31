"""thread cursors: one row per thread instead of one JSON document per source; re-read budgets

The thread tracker used to keep every thread's cursor in `sources.thread_cursors` (up to 2,000 per source) and the
Pantip listing kept its own per-topic cursors under `sources.cursor["topics"]`, which the tracker never read.
Both move into `thread_cursors` (where a thread had both, the tracker's is kept: it read further) and the JSON
column goes. `reread_budgets` holds each source's re-read allowance.

Revision ID: 0102_thread_cursors
Revises: 0106_text_retention
Create Date: 2026-12-02 10:00:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0102_thread_cursors'
down_revision = '0106_text_retention'
branch_labels = None
depends_on = None

SOURCES = sa.table("sources", sa.column("id", sa.Integer()), sa.column("name", sa.String()),
                   sa.column("cursor", sa.JSON()), sa.column("thread_cursors", sa.JSON()))
CURSORS = sa.table("thread_cursors", sa.column("source", sa.String()), sa.column("thread_id", sa.String()),
                   sa.column("cursor", sa.JSON()), sa.column("updated_at", sa.DateTime(timezone=True)))
KEPT_ON_DOWNGRADE = 2000  # what the JSON column held at most


def upgrade() -> None:
    op.create_table('thread_cursors',
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('thread_id', sa.String(length=300), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'thread_id')
    )
    with op.batch_alter_table('thread_cursors', schema=None) as batch_op:
        batch_op.create_index('ix_thread_cursors_updated_at', ['updated_at'], unique=False)

    op.create_table('reread_budgets',
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('tokens', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source')
    )
    _move_cursors_out(op.get_bind())
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('thread_cursors')


def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thread_cursors', sa.JSON(), nullable=True))
    _move_cursors_back(op.get_bind())
    op.drop_table('reread_budgets')
    with op.batch_alter_table('thread_cursors', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_cursors_updated_at')

    op.drop_table('thread_cursors')


def _move_cursors_out(bind: sa.engine.Connection) -> None:
    now = datetime.now(timezone.utc)
    for row in bind.execute(sa.select(SOURCES)).all():
        cursor = dict(row.cursor or {})
        merged = dict(cursor.pop("topics", None) or {})  # the listing's, never read until now
        merged.update(row.thread_cursors or {})  # the tracker's, where it has one: it read further
        if merged:
            bind.execute(CURSORS.insert(), [{"source": row.name, "thread_id": str(thread_id), "cursor": value,
                                             "updated_at": now} for thread_id, value in merged.items()])
        if row.cursor and "topics" in row.cursor:
            bind.execute(SOURCES.update().where(SOURCES.c.id == row.id).values(cursor=cursor))


def _move_cursors_back(bind: sa.engine.Connection) -> None:
    for row in bind.execute(sa.select(SOURCES.c.id, SOURCES.c.name)).all():
        newest = bind.execute(sa.select(CURSORS.c.thread_id, CURSORS.c.cursor).where(CURSORS.c.source == row.name)
                              .order_by(CURSORS.c.updated_at.desc()).limit(KEPT_ON_DOWNGRADE)).all()
        if newest:
            kept = {thread_id: cursor for thread_id, cursor in reversed(newest)}  # oldest first, as it was
            bind.execute(SOURCES.update().where(SOURCES.c.id == row.id).values(thread_cursors=kept))
