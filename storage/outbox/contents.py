"""What claimed rows show: announcements and anniversary firings, read once and kept."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import Photo
from bot.ports.outbox import Content
from storage.outbox.tables import (
    ANNOUNCEMENT_PHOTOS,
    ANNOUNCEMENT_TAGS,
    ANNOUNCEMENTS,
    OCCURRENCES,
    TAGS,
)
from storage.photos import photos_of

# Photos kept across loads at most (each may be 10 MB); ids known to have none are kept too.
PHOTO_CACHE_SIZE = 8
_PHOTO_CACHE_IDS = 1000
_CONTENTS_KEPT = 256


AnnouncementKey = tuple[int, int, str]  # (id, revision, status)


class ContentCache:
    """Announcement contents by (id, revision, status) and photos by id, across claims.

    Every change to what a copy shows (text, styles, tags, status) bumps the revision, so a
    key read in the claim statement names one content; a broadcast of 5,000 rows reads its
    announcement once instead of once per row.
    """

    def __init__(self, photos: dict[int, Photo | None] | None = None) -> None:
        self.announcements: dict[AnnouncementKey, Content] = {}
        # id → photo, checked against the stored photo's sha256 on each read (a feed's edit
        # may replace an announcement's photo).
        self.photos: dict[int, Photo | None] = {} if photos is None else photos
        self._digests: dict[int, str | None] = {}

    def _trim(self) -> None:
        kept = self.announcements
        if len(kept) > _CONTENTS_KEPT or sum(c.photo is not None for c in kept.values()) > (
            PHOTO_CACHE_SIZE
        ):
            kept.clear()
        held = sum(photo is not None for photo in self.photos.values())
        if held >= PHOTO_CACHE_SIZE or len(self.photos) >= _PHOTO_CACHE_IDS:
            self.photos.clear()
            self._digests.clear()

    async def announcements_for(
        self, session: AsyncSession, keys: Iterable[AnnouncementKey]
    ) -> dict[AnnouncementKey, Content]:
        """The content for each key; those not kept are read (text, tags, photo) in one go."""
        wanted = set(keys)
        missing = {key[0] for key in wanted if key not in self.announcements}
        if missing:
            self._trim()
            self.announcements.update(await self._read(session, missing))
        found: dict[AnnouncementKey, Content] = {}
        # Insertion order: the last content kept for an id is the newest read.
        latest = {key[0]: content for key, content in self.announcements.items()}
        for key in wanted:
            # Changed between the claim and the read: show what the read saw (newer).
            shown = self.announcements.get(key) or latest.get(key[0])
            if shown is not None:
                found[key] = shown
        return found

    async def _read(self, session: AsyncSession, ids: set[int]) -> dict[AnnouncementKey, Content]:
        a = ANNOUNCEMENTS.c
        p = ANNOUNCEMENT_PHOTOS.c
        digest = select(p.sha256).where(p.announcement_id == a.id).scalar_subquery()
        rows = (
            await session.execute(
                select(
                    a.id, a.title, a.body, a.signature, a.category, a.status, a.revision,
                    a.published_at, a.body_styles, digest,
                ).where(a.id.in_(sorted(ids)))
            )
        ).all()
        tags = await _tags(session, ids)
        # A retracted announcement is only deleted or replaced by a notice: no photo needed.
        wanted = {int(r[0]): r[9] for r in rows if r[5] != "retracted"}
        unknown = {
            aid for aid, sha in wanted.items()
            if aid not in self.photos or self._digests.get(aid, sha) != sha
        }  # fmt: skip
        if unknown:
            found = await photos_of(session, unknown)
            self.photos.update({aid: found.get(aid) for aid in unknown})
        self._digests.update(wanted)
        wanted_photos = wanted.keys()
        out: dict[AnnouncementKey, Content] = {}
        for aid, title, body, signature, category, status, revision, published, styles, _ in rows:
            aid = int(aid)
            out[(aid, int(revision), status)] = Content(
                title=title, body=body, kind="announcement", signature=signature,
                category=category, status=status, revision=int(revision), published_at=published,
                tags=tags.get(aid, ()), body_styles=styles,
                photo=self.photos.get(aid) if aid in wanted_photos else None,
            )
        return out


async def occurrences(session: AsyncSession, ids: set[int]) -> dict[int, Content]:
    """The anniversary firings that still exist, by id (deleting an anniversary drops them)."""
    if not ids:
        return {}
    o = OCCURRENCES.c
    rows = await session.execute(
        select(o.id, o.title, o.body, o.kind, o.translations).where(o.id.in_(sorted(ids)))
    )
    return {
        int(oid): Content(
            title=title, body=body, kind=kind, translations=_translations(translations)
        )
        for oid, title, body, kind, translations in rows
    }


def _translations(raw: str | None) -> dict[str, tuple[str, str]] | None:
    if not raw:
        return None
    return {lang: (str(texts[0]), str(texts[1])) for lang, texts in json.loads(raw).items()}


async def _tags(session: AsyncSession, announcement_ids: set[int]) -> dict[int, tuple[str, ...]]:
    if not announcement_ids:
        return {}
    at, t = ANNOUNCEMENT_TAGS.c, TAGS.c
    rows = await session.execute(
        select(at.announcement_id, t.name)
        .select_from(ANNOUNCEMENT_TAGS.join(TAGS, t.id == at.tag_id))
        .where(at.announcement_id.in_(sorted(announcement_ids)))
        .order_by(at.announcement_id, at.position, t.name)
    )
    found: dict[int, list[str]] = {}
    for aid, name in rows:
        found.setdefault(int(aid), []).append(name)
    return {aid: tuple(names) for aid, names in found.items()}
