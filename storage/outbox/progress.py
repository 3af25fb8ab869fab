"""Progress per platform, and dead letters to list and retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ports.outbox import Counts, DeadRow
from storage.outbox.tables import CHATS, DELIVERIES
from storage.outbox.tables import rowcount as _rowcount


async def stats(
    session: AsyncSession, *, announcement_id: int | None = None, action: str | None = "send"
) -> dict[str, Counts]:
    """Counts per platform for one announcement (or every row), for one action (or all)."""
    d, c = DELIVERIES.c, CHATS.c
    failing = and_(d.state == "pending", d.error.is_not(None))
    query = (
        select(c.platform, d.state, failing.label("failing"), func.count())
        .select_from(DELIVERIES.join(CHATS, c.id == d.chat_id))
        .group_by(c.platform, d.state, failing)
    )
    if announcement_id is not None:
        query = query.where(d.announcement_id == announcement_id)
    if action is not None:
        query = query.where(d.action == action)
    found: dict[str, dict[str, int]] = {}
    for platform, state, is_failing, count in await session.execute(query):
        bucket = found.setdefault(platform, {})
        key = "failed" if state == "pending" and is_failing else state
        bucket[key] = bucket.get(key, 0) + int(count)
    return {
        platform: Counts(
            sent=b.get("sent", 0), pending=b.get("pending", 0), failed=b.get("failed", 0),
            dead=b.get("dead", 0), skipped=b.get("skipped", 0),
        )
        for platform, b in sorted(found.items())
    }


async def dead_rows(session: AsyncSession, *, limit: int = 100) -> list[DeadRow]:
    """The newest dead-lettered rows."""
    d, c = DELIVERIES.c, CHATS.c
    rows = await session.execute(
        select(
            d.id, c.platform, c.external_id, d.action, d.announcement_id, d.occurrence_id,
            d.attempts, d.error, d.updated_at,
        )
        .select_from(DELIVERIES.join(CHATS, c.id == d.chat_id))
        .where(d.state == "dead")
        .order_by(d.updated_at.desc(), d.id.desc())
        .limit(limit)
    )
    return [DeadRow(*row) for row in rows]


async def retry_dead(
    session: AsyncSession, *, now: datetime, ids: Sequence[int] | None = None
) -> int:
    """Put dead rows (these ids, or all when None) back in the queue with fresh attempts."""
    d = DELIVERIES.c
    statement = update(DELIVERIES).where(d.state == "dead")
    if ids is not None:
        statement = statement.where(d.id.in_(list(ids)))
    result = await session.execute(
        statement.values(
            state="pending", attempts=0, due_at=now, error=None,
            lease_until=None, lease_owner=None, updated_at=now,
        )
    )
    return _rowcount(result)
