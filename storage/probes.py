"""What /readyz and /metrics ask of the database: a ping, the outbox backlog, the leader."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.readiness import Backlog
from storage.outbox.tables import CHATS, DELIVERIES


class DatabaseProbe:
    """Implements bot.readiness.OpsProbe over an engine (short, read-only queries)."""

    def __init__(self, engine: AsyncEngine, *, leader_lock_key: int | None = None) -> None:
        self._engine = engine
        self._leader_lock_key = leader_lock_key

    async def ping(self) -> None:
        """SELECT 1 on a fresh checkout of the pool (a dead server raises)."""
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def backlog(self, now: datetime) -> list[Backlog]:
        """Pending rows per platform, and the earliest due_at among those already due."""
        d, c = DELIVERIES.c, CHATS.c
        due = case((d.due_at <= now, d.due_at))
        query = (
            select(c.platform, func.count(), func.min(due))
            .select_from(DELIVERIES.join(CHATS, CHATS.c.id == d.chat_id))
            .where(d.state == "pending")
            .group_by(c.platform)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Backlog(str(platform), int(count), _aware(oldest))
            for platform, count, oldest in rows
        ]

    async def scheduler_leader(self) -> str | None:
        """`pid N on ADDRESS` of the session holding the scheduler's advisory lock (PostgreSQL)."""
        if self._engine.dialect.name != "postgresql" or self._leader_lock_key is None:
            return None
        key = self._leader_lock_key
        # A bigint advisory key shows in pg_locks as classid (high 32 bits), objid (low 32).
        query = text(
            "SELECT l.pid, a.client_addr, a.application_name FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = :high AND l.objid = :low LIMIT 1"
        )
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(query, {"high": key >> 32, "low": key & 0xFFFFFFFF})
            ).first()
        if row is None:
            return None
        pid, address, application = row
        where = str(address) if address is not None else "a local socket"
        name = f" ({application})" if application else ""
        return f"pid {pid} on {where}{name}"


def _aware(value: object) -> datetime | None:
    """min() over a CASE loses the column type: SQLite gives text, PostgreSQL a naive time."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
