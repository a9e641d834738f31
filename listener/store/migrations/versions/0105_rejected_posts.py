"""rejected posts: posts the store could not keep are set aside with the reason, and counted per source

Revision ID: 0105_rejected_posts
Revises: 0106_text_retention
"""
from alembic import op
import sqlalchemy as sa

revision = "0105_rejected_posts"
down_revision = "0104_tiers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rejected_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_rejected_posts_source_external_id"),
    )
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("rejected_total", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rejection_streak", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_rejection", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("last_rejection")
        batch.drop_column("rejection_streak")
        batch.drop_column("rejected_total")
    op.drop_table("rejected_posts")
