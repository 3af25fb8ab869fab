"""Chat views: one row per reader and announcement, so a reader's repeated /show counts once.

Revision ID: 0010_chat_views
Revises: 0009_platform_file_ids
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_chat_views"
down_revision: str | Sequence[str] | None = "0009_platform_file_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add chat_views (the reader is a hash of platform:user id, not the id itself)."""
    op.create_table(
        "chat_views",
        sa.Column(
            "announcement_id",
            BigId,
            sa.ForeignKey("announcements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("viewer", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("announcement_id", "viewer"),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("chat_views")
