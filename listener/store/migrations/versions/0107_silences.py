"""silences: notifications held back for a watchlist, thread or term, and the alerts each one suppressed

Revision ID: 0107_silences
Revises: 0106_text_retention
Create Date: 2026-12-01 23:55:29.932818
"""
from alembic import op
import sqlalchemy as sa


revision = '0107_silences'
down_revision = '0103_job_leases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('silences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('watchlist', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('thread_id', sa.String(length=300), nullable=True),
    sa.Column('term', sa.String(length=300), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expired_by', sa.String(length=100), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.create_index('ix_silences_ends_at', ['ends_at'], unique=False)

    op.create_table('silenced_alerts',
    sa.Column('silence_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('silenced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['silence_id'], ['silences.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('silence_id', 'outbox_id')
    )


def downgrade() -> None:
    op.drop_table('silenced_alerts')
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.drop_index('ix_silences_ends_at')

    op.drop_table('silences')
