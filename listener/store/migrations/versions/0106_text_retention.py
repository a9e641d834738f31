"""posts.text_expired_at: when storage.keep_text_days masked or dropped a post's text

Revision ID: 0106_text_retention
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0106_text_retention'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts') as batch_op:
        batch_op.add_column(sa.Column('text_expired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_posts_text_expiry', ['text_expired_at', 'posted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('posts') as batch_op:
        batch_op.drop_index('ix_posts_text_expiry')
        batch_op.drop_column('text_expired_at')
