"""The repository: one object the services get, hiding sessions behind small stores."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.anniversaries import AnniversaryStore
from storage.announcements import AnnouncementStore
from storage.chats import AdminStore, ChatStore, StateStore
from storage.engine import create_engine
from storage.feeds import FeedStore
from storage.file_ids import FileIdStore
from storage.migrate import ensure_schema
from storage.occurrences import OccurrenceStore
from storage.outbox import SqlOutbox
from storage.site import SiteStore


@dataclass(frozen=True, slots=True)
class Repository:
    """Every store, sharing one session factory; each call is its own unit of work."""

    sessions: async_sessionmaker[AsyncSession]
    announcements: AnnouncementStore
    chats: ChatStore
    admins: AdminStore
    anniversaries: AnniversaryStore
    state: StateStore
    occurrences: OccurrenceStore
    outbox: SqlOutbox
    site: SiteStore
    feeds: FeedStore
    file_ids: FileIdStore

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> Repository:
        """A repository over `engine`."""
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        return cls(
            sessions=sessions,
            announcements=AnnouncementStore(sessions),
            chats=ChatStore(sessions),
            admins=AdminStore(sessions),
            anniversaries=AnniversaryStore(sessions),
            state=StateStore(sessions),
            occurrences=OccurrenceStore(sessions),
            outbox=SqlOutbox(sessions),
            site=SiteStore(sessions),
            feeds=FeedStore(sessions),
            file_ids=FileIdStore(sessions),
        )


async def ready_engine(url: str) -> AsyncEngine:
    """An engine for `url`, schema checked: SQLite is migrated, PostgreSQL must be upgraded."""
    engine = create_engine(url)
    try:
        await ensure_schema(engine, auto_upgrade=engine.dialect.name == "sqlite")
    except BaseException:
        await engine.dispose()
        raise
    return engine
