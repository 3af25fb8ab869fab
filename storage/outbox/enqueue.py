"""Outbox rows: written in the same transaction as the change they broadcast."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.outbox.tables import DELIVERIES
from storage.outbox.tables import rowcount as _rowcount
from storage.types import UTCDateTime

_TARGETS = """
    FROM chats c
    WHERE c.active
      AND EXISTS (
        SELECT 1 FROM subscriptions s
        WHERE s.chat_id = c.id AND (s.tag_key = '' OR s.tag_key IN ({keys}))
      )
"""
_NOW = bindparam("now", type_=UTCDateTime())


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
    statement = text(
        "INSERT INTO deliveries (chat_id, announcement_id, action, state, revision, "
        "attempts, due_at, created_at, updated_at) "
        "SELECT c.id, :aid, 'send', 'pending', :rev, 0, :now, :now, :now "
        + _TARGETS.format(keys=keys)
    ).bindparams(_NOW)
    result = await session.execute(
        statement, {"aid": announcement_id, "rev": revision, "now": now, **params}
    )
    return _rowcount(result)


async def enqueue_occurrence(
    session: AsyncSession, *, occurrence_id: int, tag_keys: Sequence[str], now: datetime
) -> int:
    """One send row per chat subscribed to everything or to any tag, for an anniversary firing."""
    keys, params = _keys_clause(tag_keys)
    statement = text(
        "INSERT INTO deliveries (chat_id, occurrence_id, action, state, revision, "
        "attempts, due_at, created_at, updated_at) "
        "SELECT c.id, :oid, 'send', 'pending', 1, 0, :now, :now, :now "
        + _TARGETS.format(keys=keys)
    ).bindparams(_NOW)
    result = await session.execute(statement, {"oid": occurrence_id, "now": now, **params})
    return _rowcount(result)


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
    """Skip sends not yet made (a retraction overtook them); in-flight ones are reconciled."""
    result = await session.execute(
        update(DELIVERIES)
        .where(
            DELIVERIES.c.announcement_id == announcement_id,
            DELIVERIES.c.action == "send",
            DELIVERIES.c.state == "pending",
        )
        .values(state="skipped", error="retracted")
    )
    return _rowcount(result)


async def _enqueue_for_copies(
    session: AsyncSession, action: str, announcement_id: int, revision: int, now: datetime
) -> int:
    statement = text(
        "INSERT INTO deliveries (chat_id, announcement_id, action, state, revision, "
        "attempts, due_at, created_at, updated_at) "
        "SELECT m.chat_id, :aid, :action, 'pending', :rev, 0, :now, :now, :now "
        "FROM message_copies m WHERE m.announcement_id = :aid"
    ).bindparams(_NOW)
    result = await session.execute(
        statement, {"aid": announcement_id, "action": action, "rev": revision, "now": now}
    )
    return _rowcount(result)
