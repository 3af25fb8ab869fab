"""The website's own queries: when the latest retraction happened, and web views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Status
from bot.site.ports import PhotoFacts, WebView
from storage.engine import dialect_insert, read_sessions
from storage.models import (
    AnnouncementPhotoRow,
    AnnouncementRow,
    AnnouncementTagRow,
    SiteViewRow,
    TagRow,
)

_RETRACTED = AnnouncementRow.status == Status.RETRACTED.value
_LAST_RETRACTION = select(func.max(AnnouncementRow.updated_at)).where(_RETRACTED)
_LAST_TAG_RETRACTION = (
    select(func.max(AnnouncementRow.updated_at))
    .join(AnnouncementTagRow, AnnouncementTagRow.announcement_id == AnnouncementRow.id)
    .where(
        AnnouncementTagRow.tag_id
        == select(TagRow.id).where(TagRow.key == bindparam("key")).scalar_subquery(),
        # A retraction clears the tag row's published_at (drafts have none either).
        AnnouncementTagRow.published_at.is_(None),
        _RETRACTED,
    )
)
_VIEWS = (
    select(SiteViewRow.announcement_id, func.count())
    .where(SiteViewRow.announcement_id.in_(bindparam("ids", expanding=True)))
    .group_by(SiteViewRow.announcement_id)
)
_PHOTO_FACTS = select(
    AnnouncementPhotoRow.announcement_id, AnnouncementPhotoRow.mime_type, AnnouncementPhotoRow.size
).where(AnnouncementPhotoRow.announcement_id.in_(bindparam("ids", expanding=True)))
_CHAT_TOTAL = select(func.coalesce(func.sum(AnnouncementRow.views), 0))
_TOTAL = select(func.count()).select_from(SiteViewRow)


class SiteStore:
    """Implements bot.site.ports.SiteStore; each call is one short unit of work."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_sessions(sessions)

    async def photo_facts(self, announcement_ids: Sequence[int]) -> dict[int, PhotoFacts]:
        """Type and size of the photos of these announcements (those that have one)."""
        if not announcement_ids:
            return {}
        async with self._reads() as session:
            rows = await session.execute(_PHOTO_FACTS, {"ids": list(announcement_ids)})
            return {int(aid): PhotoFacts(mime, int(size)) for aid, mime, size in rows}

    async def last_retraction(self, tag_key: str | None) -> datetime | None:
        """When the latest retraction (of an announcement with the tag) happened, or None."""
        async with self._reads() as session:
            if tag_key is None:
                found: datetime | None = await session.scalar(_LAST_RETRACTION)
            else:
                found = await session.scalar(_LAST_TAG_RETRACTION, {"key": tag_key})
        return found

    async def record_views(self, views: Sequence[WebView]) -> int:
        """Store views, ignoring those already counted; how many were new."""
        if not views:
            return 0
        rows = [
            {"announcement_id": v.announcement_id, "day": v.day, "visitor": v.visitor}
            for v in {(v.announcement_id, v.day, v.visitor): v for v in views}.values()
        ]
        async with self._sessions.begin() as session:
            # Only announcements that still exist: a view may outlive a purge in the same batch.
            exists = set(
                (
                    await session.scalars(
                        select(AnnouncementRow.id).where(
                            AnnouncementRow.id.in_({r["announcement_id"] for r in rows})
                        )
                    )
                ).all()
            )
            rows = [r for r in rows if r["announcement_id"] in exists]
            if not rows:
                return 0
            insert = dialect_insert(session, SiteViewRow).on_conflict_do_nothing(
                index_elements=["announcement_id", "day", "visitor"]
            )
            result = await session.execute(
                insert.returning(SiteViewRow.announcement_id), rows
            )
            return len(result.all())

    async def web_views(self, announcement_ids: Sequence[int]) -> dict[int, int]:
        """Web views per announcement (those with none are left out)."""
        if not announcement_ids:
            return {}
        async with self._reads() as session:
            rows = await session.execute(_VIEWS, {"ids": list(announcement_ids)})
            return {int(aid): int(count) for aid, count in rows}

    async def view_totals(self) -> tuple[int, int]:
        """Views of every announcement: (in chats, on the website)."""
        async with self._reads() as session:
            chat = await session.scalar(_CHAT_TOTAL)
            web = await session.scalar(_TOTAL)
            return int(chat or 0), int(web or 0)
