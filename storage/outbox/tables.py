"""The tables the outbox reads and writes, as Core tables so UTCDateTime applies."""

from __future__ import annotations

from sqlalchemy import Table

from storage.models import Base

_T = Base.metadata.tables
DELIVERIES: Table = _T["deliveries"]
CHATS: Table = _T["chats"]
ANNOUNCEMENTS: Table = _T["announcements"]
OCCURRENCES: Table = _T["anniversary_occurrences"]
COPIES: Table = _T["message_copies"]
ANNOUNCEMENT_TAGS: Table = _T["announcement_tags"]
ANNOUNCEMENT_PHOTOS: Table = _T["announcement_photos"]
TAGS: Table = _T["tags"]
OWNERS: Table = _T["delivery_owners"]


def rowcount(result: object) -> int:
    """Rows an UPDATE, INSERT or DELETE touched."""
    return int(getattr(result, "rowcount", 0) or 0)
