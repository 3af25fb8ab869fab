"""Platform file ids leave the core's photos: a platform-keyed table, by content.

Adds platform_file_ids (platform, sha256 of the bytes, the platform's file id) and moves each
announcement_photos.telegram_file_id there as a "telegram" row (one per distinct photo), then
drops that column. Downgrade puts the Telegram ids back on the photos with the same bytes.

Revision ID: 0009_platform_file_ids
Revises: 0008_retraction_index
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_platform_file_ids"
down_revision: str | Sequence[str] | None = "0008_retraction_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create platform_file_ids, move the Telegram ids into it, drop the photos' column."""
    op.create_table(
        "platform_file_ids",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_id", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "sha256"),
    )
    op.execute(
        "INSERT INTO platform_file_ids (platform, sha256, file_id, updated_at) "
        "SELECT 'telegram', sha256, MAX(telegram_file_id), MAX(created_at) "
        "FROM announcement_photos WHERE telegram_file_id IS NOT NULL GROUP BY sha256"
    )
    with op.batch_alter_table("announcement_photos") as batch:
        batch.drop_column("telegram_file_id")


def downgrade() -> None:
    """Put the Telegram ids back on the photos, then drop platform_file_ids."""
    with op.batch_alter_table("announcement_photos") as batch:
        batch.add_column(sa.Column("telegram_file_id", sa.String(200), nullable=True))
    op.execute(
        "UPDATE announcement_photos SET telegram_file_id = ("
        "SELECT f.file_id FROM platform_file_ids f "
        "WHERE f.platform = 'telegram' AND f.sha256 = announcement_photos.sha256)"
    )
    op.drop_table("platform_file_ids")
