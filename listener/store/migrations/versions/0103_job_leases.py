"""job leases: shared schedule of source polls and housekeeping for several daemons on one database

Revision ID: 0103_job_leases
Revises: 0106_text_retention
Create Date: 2026-12-02 00:25:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0103_job_leases'
down_revision = '0105_rejected_posts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_owner', sa.String(length=200), nullable=True),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('job_leases')
