"""Incidents remember the tier they announced, count their risky comments, and keep their latest forecast.

Revision ID: 0104_tiers
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0104_tiers"
down_revision = "0102_thread_cursors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("announced_severity", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("announced_tier_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("comment_tally", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("forecast", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("forecast")
        batch_op.drop_column("comment_tally")
        batch_op.drop_column("announced_tier_at")
        batch_op.drop_column("announced_severity")
