"""An imported post is known by its address and by its content, not by its title.

Adds announcements.content_key (unique): a hash of title, date, author and text
(bot.importers.identity). Rows `herald import` stored before it (source keys `title:…` or
an address) get their content key, and their source key is rewritten: `title:…` keys (two
posts with one title collided) are dropped, addresses become `url:host/path` keys. Other
rows (posts, feed entries) are left alone. Downgrade drops the column; the rewritten source
keys stay.

Revision ID: 0007_import_identity
Revises: 0006_feeds
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.importers.identity import content_key, url_key

revision: str = "0007_import_identity"
down_revision: str | Sequence[str] | None = "0006_feeds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

table = sa.table(
    "announcements",
    sa.column("id", sa.Integer()),
    sa.column("title", sa.Text()),
    sa.column("body", sa.Text()),
    sa.column("signature", sa.Text()),
    sa.column("created_by", sa.String()),
    sa.column("source_key", sa.String()),
    sa.column("content_key", sa.String()),
)


def upgrade() -> None:
    """Add the content key, fill it for imported rows, and rewrite their source keys."""
    imported = sa.or_(table.c.source_key.like("title:%"), table.c.source_key.like("http%"))
    # Plain ALTER TABLE on SQLite too: a batch rebuild would drop the search triggers.
    op.add_column("announcements", sa.Column("content_key", sa.String(64), nullable=True))
    op.create_index(
        "ux_announcements_content_key", "announcements", ["content_key"], unique=True
    )
    rows = op.get_bind().execute(
        sa.select(
            table.c.id, table.c.title, table.c.body, table.c.signature, table.c.created_by,
            table.c.source_key,
        ).where(imported).order_by(table.c.id)
    ).all()  # fmt: skip
    taken_content: set[str] = set()
    taken_address: set[str] = set()
    for row in rows:
        author = (row.created_by or "").removeprefix("import:")
        text = row.body + ("\n\n" + row.signature if row.signature else "")
        content = content_key(title=row.title, date="", author=author, text=text)
        address: str | None = None
        if row.source_key.startswith("http"):
            address = url_key(row.source_key) or row.source_key
            # Two old addresses that are one page now (http and https): the first keeps it.
            address = row.source_key if address in taken_address else address
        if address is not None:
            taken_address.add(address)
        # A text save and an HTML save imported as two rows: the first keeps the content key.
        values = {"source_key": address, "content_key": None}
        if content not in taken_content:
            taken_content.add(content)
            values["content_key"] = content
        op.get_bind().execute(sa.update(table).where(table.c.id == row.id).values(**values))


def downgrade() -> None:
    """Drop the content key."""
    op.drop_index("ux_announcements_content_key", table_name="announcements")
    op.drop_column("announcements", "content_key")
