"""Anniversaries: the dates the society keeps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Anniversary, AnniversaryFields
from storage import convert
from storage.audit import record
from storage.engine import read_sessions
from storage.models import AnniversaryRow


class AnniversaryStore:
    """Reads and writes anniversaries."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_sessions(sessions)

    async def add(self, fields: AnniversaryFields, *, actor: str, now: datetime) -> Anniversary:
        """Store a new anniversary."""
        async with self._sessions.begin() as session:
            row = AnniversaryRow(created_by=actor, created_at=now, updated_at=now)
            _apply(row, fields)
            session.add(row)
            await session.flush()
            await record(session, actor, "anniversary_add", row.id, now, fields.title)
            return convert.anniversary(row)

    async def update(
        self, anniversary_id: int, fields: AnniversaryFields, *, actor: str, now: datetime
    ) -> Anniversary | None:
        """Replace an anniversary's fields; None when it does not exist."""
        async with self._sessions.begin() as session:
            row = await session.get(AnniversaryRow, anniversary_id)
            if row is None:
                return None
            _apply(row, fields)
            row.updated_at = now
            await record(session, actor, "anniversary_edit", row.id, now, fields.title)
            await session.flush()
            return convert.anniversary(row)

    async def remove(self, anniversary_id: int, *, actor: str, now: datetime) -> bool:
        """Delete an anniversary; False when it did not exist."""
        async with self._sessions.begin() as session:
            row = await session.get(AnniversaryRow, anniversary_id)
            if row is None:
                return False
            await session.delete(row)
            await record(session, actor, "anniversary_remove", anniversary_id, now, row.title)
            return True

    async def get(self, anniversary_id: int) -> Anniversary | None:
        """One anniversary."""
        async with self._reads() as session:
            row = await session.get(AnniversaryRow, anniversary_id)
            return None if row is None else convert.anniversary(row)

    async def all(self) -> list[Anniversary]:
        """Every anniversary, in calendar order."""
        async with self._reads() as session:
            rows = (
                await session.scalars(
                    select(AnniversaryRow).order_by(
                        AnniversaryRow.month, AnniversaryRow.day, AnniversaryRow.id
                    )
                )
            ).all()
            return [convert.anniversary(row) for row in rows]


def _apply(row: AnniversaryRow, fields: AnniversaryFields) -> None:
    row.title, row.month, row.day, row.year = fields.title, fields.month, fields.day, fields.year
    row.time_of_day, row.timezone, row.text = fields.time_of_day, fields.timezone, fields.text
    row.announcement_id = fields.announcement_id
    row.tags = "\n".join(fields.tags)
    row.reminder_days = (
        None if fields.reminder_days is None else ",".join(str(d) for d in fields.reminder_days)
    )
