"""Anniversary firings keep their text in every language, so each chat reads its own.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add anniversary_occurrences.translations (JSON: language → [title, body])."""
    with op.batch_alter_table("anniversary_occurrences") as batch:
        batch.add_column(sa.Column("translations", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("anniversary_occurrences") as batch:
        batch.drop_column("translations")
