"""Outbox rows: written in the same transaction as the change they broadcast."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_TARGETS = """
    FROM chats c
    WHERE c.active
      AND EXISTS (
        SELECT 1 FROM subscriptions s
        WHERE s.chat_id = c.id AND (s.tag_key = '' OR s.tag_key IN ({keys}))
      )
"""


def _keys_clause(tag_keys: Sequence[str]) -> tuple[str, dict[str, str]]:
    params = {f"k{i}": key for i, key in enumerate(tag_keys)}
    # An impossible key keeps `IN ()` valid SQL when the announcement has no tags.
    placeholders = ", ".join(f":{name}" for name in params) or "''"
    return placeholders, params


async def enqueue_send(
    session: AsyncSession,
    *,
    announcement_id: int,
    revision: int,
    tag_keys: Sequence[str],
    now: datetime,
) -> int:
    """One send row per active chat subscribed to everything or to any of the tags."""
    keys, params = _keys_clause(tag_keys)
    result = await session.execute(
        text(
            "INSERT INTO deliveries (chat_id, announcement_id, action, state, revision, "
            "attempts, due_at, created_at, updated_at) "
            "SELECT c.id, :aid, 'send', 'pending', :rev, 0, :now, :now, :now "
            + _TARGETS.format(keys=keys)
        ),
        {"aid": announcement_id, "rev": revision, "now": _naive_if_sqlite(session, now), **params},
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def enqueue_edit(
    session: AsyncSession, *, announcement_id: int, revision: int, now: datetime
) -> int:
    """One edit row per chat that holds a copy of the announcement."""
    return await _enqueue_for_copies(session, "edit", announcement_id, revision, now)


async def enqueue_delete(
    session: AsyncSession, *, announcement_id: int, revision: int, now: datetime
) -> int:
    """One delete row per chat that holds a copy of the announcement."""
    return await _enqueue_for_copies(session, "delete", announcement_id, revision, now)


async def cancel_pending_sends(session: AsyncSession, *, announcement_id: int) -> int:
    """Skip sends not yet made (a retraction overtook them)."""
    result = await session.execute(
        text(
            "UPDATE deliveries SET state = 'skipped', error = 'retracted' "
            "WHERE announcement_id = :aid AND action = 'send' AND state = 'pending'"
        ),
        {"aid": announcement_id},
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _enqueue_for_copies(
    session: AsyncSession, action: str, announcement_id: int, revision: int, now: datetime
) -> int:
    result = await session.execute(
        text(
            "INSERT INTO deliveries (chat_id, announcement_id, action, state, revision, "
            "attempts, due_at, created_at, updated_at) "
            "SELECT m.chat_id, :aid, :action, 'pending', :rev, 0, :now, :now, :now "
            "FROM message_copies m WHERE m.announcement_id = :aid"
        ),
        {
            "aid": announcement_id,
            "action": action,
            "rev": revision,
            "now": _naive_if_sqlite(session, now),
        },
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _naive_if_sqlite(session: AsyncSession, when: datetime) -> datetime:
    # Raw SQL bypasses UTCDateTime; SQLite stores naive UTC text, PostgreSQL timestamptz.
    from datetime import UTC

    when = when.astimezone(UTC)
    if session.get_bind().dialect.name == "sqlite":
        return when.replace(tzinfo=None)
    return when
