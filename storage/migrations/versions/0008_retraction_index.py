"""An index for "when was the latest retraction": the website's feeds ask on every render.

Without it the newest retracted row is found by reading every retracted row (2 ms at 2,000
retractions, growing with the archive); with (status, updated_at) it is one index probe.

Revision ID: 0008_retraction_index
Revises: 0007_import_identity
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_retraction_index"
down_revision: str | Sequence[str] | None = "0007_import_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ix_announcements_status_updated."""
    op.create_index(
        "ix_announcements_status_updated", "announcements", ["status", "updated_at"]
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_announcements_status_updated", table_name="announcements")
