"""Platform file ids by content (bot.ports.FileIds): a photo is uploaded once per platform."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.engine import dialect_insert, read_sessions
from storage.models import PlatformFileIdRow


class FileIdStore:
    """Implements bot.ports.FileIds over the platform_file_ids table."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_sessions(sessions)

    async def get(self, platform: str, sha256: str) -> str | None:
        """The id `platform` knows these bytes by, or None."""
        row = PlatformFileIdRow
        async with self._reads() as session:
            return await session.scalar(
                select(row.file_id).where(row.platform == platform, row.sha256 == sha256)
            )

    async def put(self, platform: str, sha256: str, file_id: str) -> None:
        """Remember (or replace) the id `platform` gave these bytes."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            await session.execute(
                dialect_insert(session, PlatformFileIdRow)
                .values(platform=platform, sha256=sha256, file_id=file_id, updated_at=now)
                .on_conflict_do_update(
                    index_elements=["platform", "sha256"],
                    set_={"file_id": file_id, "updated_at": now},
                )
            )

    async def forget(self, platform: str, sha256: str, file_id: str) -> None:
        """Drop `file_id`, which the platform no longer accepts, unless replaced meanwhile."""
        row = PlatformFileIdRow
        async with self._sessions.begin() as session:
            await session.execute(
                delete(row).where(
                    row.platform == platform, row.sha256 == sha256, row.file_id == file_id
                )
            )
