"""The photo an announcement carries: written with it, read once per announcement to send."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import Photo
from storage.models import AnnouncementPhotoRow, AnnouncementRow

# A column for listings: whether the announcement has a photo (a primary-key probe per row).
HAS_PHOTO = (
    exists()
    .where(AnnouncementPhotoRow.announcement_id == AnnouncementRow.id)
    .correlate(AnnouncementRow)
    .label("has_photo")
)


async def add_photo(
    session: AsyncSession, announcement_id: int, photo: Photo, now: datetime
) -> None:
    """Store `photo` for the announcement, in the caller's transaction."""
    session.add(
        AnnouncementPhotoRow(
            announcement_id=announcement_id,
            data=photo.data,
            mime_type=photo.mime_type,
            file_name=photo.file_name,
            size=len(photo.data),
            sha256=hashlib.sha256(photo.data).hexdigest(),
            created_at=now,
        )
    )
    await session.flush()


async def replace_photo(
    session: AsyncSession, announcement_id: int, photo: Photo | None, now: datetime
) -> bool:
    """Make `photo` the announcement's photo (None: none), in the caller's transaction;
    whether anything changed (the same bytes again are no change)."""
    row = await session.get(AnnouncementPhotoRow, announcement_id)
    if photo is not None and row is not None and row.sha256 == _digest(photo):
        return False
    if row is None and photo is None:
        return False
    if row is not None:
        await session.delete(row)
        await session.flush()
    if photo is not None:
        await add_photo(session, announcement_id, photo, now)
    return True


def _digest(photo: Photo) -> str:
    return hashlib.sha256(photo.data).hexdigest()


async def photos_of(session: AsyncSession, ids: Collection[int]) -> dict[int, Photo]:
    """The photos of these announcements (those that have one), one query for all."""
    if not ids:
        return {}
    p = AnnouncementPhotoRow
    rows = await session.execute(
        select(p.announcement_id, p.data, p.mime_type, p.file_name).where(
            p.announcement_id.in_(sorted(ids))
        )
    )
    return {int(aid): Photo(bytes(data), mime, name) for aid, data, mime, name in rows}


async def has_photo(session: AsyncSession, announcement_id: int) -> bool:
    """Whether the announcement has a photo."""
    found = await session.scalar(
        select(AnnouncementPhotoRow.announcement_id).where(
            AnnouncementPhotoRow.announcement_id == announcement_id
        )
    )
    return found is not None
