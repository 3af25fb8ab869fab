"""Web views of announcement pages: one row per visitor, announcement and local day.

Revision ID: 0005_site_views
Revises: 0004_delivery_owners
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_site_views"
down_revision: str | Sequence[str] | None = "0004_delivery_owners"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add site_views (the visitor is a keyed hash; no address is stored)."""
    op.create_table(
        "site_views",
        sa.Column(
            "announcement_id",
            BigId,
            sa.ForeignKey("announcements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visitor", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("announcement_id", "day", "visitor"),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("site_views")
