"""The read side of the announcement store: latest, tag pages, search and tag counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import ColumnElement, Subquery

from bot.domain import Announcement, Page, Status, TagCount
from bot.tags import tag_key
from storage import convert
from storage.models import AnnouncementRow, AnnouncementTagRow, TagRow
from storage.photos import HAS_PHOTO
from storage.search import search_ids


def _with_tags(newest: Subquery, *extra: ColumnElement[Any]) -> Select[Any]:
    """The announcements a page subquery (id, at, ...) names, in its order, with tag names."""
    return (
        select(AnnouncementRow, TagRow.name, HAS_PHOTO, *extra)
        .join(newest, newest.c.id == AnnouncementRow.id)
        .outerjoin(AnnouncementTagRow, AnnouncementTagRow.announcement_id == AnnouncementRow.id)
        .outerjoin(TagRow, TagRow.id == AnnouncementTagRow.tag_id)
        .order_by(newest.c.at.desc(), newest.c.id.desc(), AnnouncementTagRow.position)
    )


# Built once: constructing a statement per call costs more than running it.
_PUBLISHED = AnnouncementRow.status == Status.PUBLISHED.value
_COUNT_PUBLISHED = select(func.count()).select_from(AnnouncementRow).where(_PUBLISHED)
_NEWEST = (
    select(
        AnnouncementRow.id.label("id"),
        AnnouncementRow.published_at.label("at"),
        _COUNT_PUBLISHED.scalar_subquery().label("total"),
    )
    .where(_PUBLISHED)
    .order_by(AnnouncementRow.published_at.desc(), AnnouncementRow.id.desc())
    .limit(bindparam("size"))
    .offset(bindparam("skip"))
    .subquery()
)
_LATEST = _with_tags(_NEWEST, _NEWEST.c.total)
# The same without the total: counting every published row is most of a cold page's query
# (a few ms at 100,000), and a feed shows no page count.
_NEWEST_ONLY = (
    select(AnnouncementRow.id.label("id"), AnnouncementRow.published_at.label("at"))
    .where(_PUBLISHED)
    .order_by(AnnouncementRow.published_at.desc(), AnnouncementRow.id.desc())
    .limit(bindparam("size"))
    .subquery()
)
_NEWEST_ITEMS = _with_tags(_NEWEST_ONLY)
_BY_KEY = TagRow.key == bindparam("key")
# Scalar subqueries, not a join: PostgreSQL then knows the tag id before it scans
# ix_announcement_tags_page backwards, newest first, and stops after the page.
_TAGGED = (
    select(
        AnnouncementTagRow.announcement_id.label("id"),
        AnnouncementTagRow.published_at.label("at"),
        select(TagRow.published_count).where(_BY_KEY).scalar_subquery().label("total"),
        select(TagRow.name).where(_BY_KEY).scalar_subquery().label("name"),
    )
    .where(
        AnnouncementTagRow.tag_id == select(TagRow.id).where(_BY_KEY).scalar_subquery(),
        AnnouncementTagRow.published_at.is_not(None),
    )
    .order_by(AnnouncementTagRow.published_at.desc(), AnnouncementTagRow.announcement_id.desc())
    .limit(bindparam("size"))
    .offset(bindparam("skip"))
    .subquery()
)
_TAG_PAGE = _with_tags(_TAGGED, _TAGGED.c.total, _TAGGED.c.name)
_TAG = select(TagRow.published_count, TagRow.name).where(_BY_KEY)
_BY_IDS = (
    select(AnnouncementRow, TagRow.name, HAS_PHOTO)
    .outerjoin(AnnouncementTagRow, AnnouncementTagRow.announcement_id == AnnouncementRow.id)
    .outerjoin(TagRow, TagRow.id == AnnouncementTagRow.tag_id)
    .where(AnnouncementRow.id.in_(bindparam("ids", expanding=True)))
    .order_by(AnnouncementRow.id, AnnouncementTagRow.position)
)

class Listings:
    """Reads for members: every method is one short read transaction."""

    _reads: async_sessionmaker[AsyncSession]

    async def latest(self, *, page: int, size: int) -> Page[Announcement]:
        """Published announcements, newest first."""
        async with self._reads() as session:
            params = {"size": size, "skip": (page - 1) * size}
            items, first = await _ordered_with_tags(session, _LATEST, params)
            if first is None:  # past the last page: count on its own
                first = (await session.scalar(_COUNT_PUBLISHED),)
            return _page_of(items, page, size, int(first[0] or 0))

    async def newest(self, *, limit: int) -> list[Announcement]:
        """The newest published announcements, without counting them all (for feeds)."""
        async with self._reads() as session:
            items, _ = await _ordered_with_tags(session, _NEWEST_ITEMS, {"size": limit})
            return items

    async def by_tag(self, key: str, *, page: int, size: int) -> Page[Announcement] | None:
        """Published announcements with the tag, newest first; None for an unknown tag."""
        found = await self.tag_page(key, page=page, size=size)
        return None if found is None else found[1]

    async def tag_page(
        self, key: str, *, page: int, size: int
    ) -> tuple[TagCount, Page[Announcement]] | None:
        """The tag and a page of its published announcements in one round trip; None if unknown."""
        async with self._reads() as session:
            params = {"key": key, "size": size, "skip": (page - 1) * size}
            items, first = await _ordered_with_tags(session, _TAG_PAGE, params)
            if first is None:  # an unknown tag, an unused one, or past the last page
                row = (await session.execute(_TAG, {"key": key})).first()
                if row is None:
                    return None
                first = tuple(row)
            total, name = int(first[0]), str(first[1])
            return TagCount(key, name, total), _page_of(items, page, size, total)

    async def search(self, words: str, *, page: int, size: int) -> Page[Announcement]:
        """Published announcements matching every word, newest first."""
        async with self._reads() as session:
            ids, total = await search_ids(session, words, limit=size, offset=(page - 1) * size)
            return await _page(session, ids, page, size, total)

    async def tags(self, *, limit: int | None = None, offset: int = 0) -> list[TagCount]:
        """Tags used by published announcements, most used first: `limit` after `offset`."""
        async with self._reads() as session:
            rows = await session.execute(
                select(TagRow.key, TagRow.name, TagRow.published_count)
                .where(TagRow.published_count > 0)
                .order_by(TagRow.published_count.desc(), TagRow.key)
                .limit(limit)
                .offset(offset)
            )
            return [TagCount(key, name, count) for key, name, count in rows]

    async def tags_in_use(self) -> int:
        """How many tags published announcements carry."""
        async with self._reads() as session:
            count = select(func.count()).select_from(TagRow).where(TagRow.published_count > 0)
            return int(await session.scalar(count) or 0)

    async def tag(self, key: str) -> TagCount | None:
        """One tag by key."""
        async with self._reads() as session:
            row = (await session.execute(_TAG, {"key": key})).first()
            return None if row is None else TagCount(key, row.name, row.published_count)

    async def tag_names(self, prefix: str, limit: int) -> list[str]:
        """Tag names whose key contains `prefix`, prefix matches and most used first."""
        key = tag_key(prefix)
        async with self._reads() as session:
            query = select(TagRow.name, TagRow.key).where(TagRow.published_count > 0)
            if key:
                query = query.where(TagRow.key.contains(key, autoescape=True))
            rows = (await session.execute(query.order_by(TagRow.published_count.desc()))).all()
        ranked = sorted(rows, key=lambda r: (not r[1].startswith(key),))
        return [name for name, _ in ranked[:limit]]

    async def counts(self) -> dict[str, int]:
        """How many announcements are in each status."""
        async with self._reads() as session:
            rows = await session.execute(
                select(AnnouncementRow.status, func.count()).group_by(AnnouncementRow.status)
            )
            return {status: int(count) for status, count in rows}


async def _ordered_with_tags(
    session: AsyncSession, statement: Select[Any], params: dict[str, Any]
) -> tuple[list[Announcement], tuple[Any, ...] | None]:
    """Run a `_with_tags` statement: the page in order, and the first row's extra columns."""
    rows = (await session.execute(statement, params)).all()
    first = tuple(rows[0][3:]) if rows else None
    return list(_grouped((row[0], row[1], row[2]) for row in rows).values()), first


async def one(session: AsyncSession, announcement_id: int) -> Announcement | None:
    """One announcement in any status with its tags and photo flag, in one round trip."""
    rows = await session.execute(_BY_IDS, {"ids": [announcement_id]})
    return _grouped((row, name, photo) for row, name, photo in rows).get(announcement_id)


def _page_of(items: list[Announcement], page: int, size: int, total: int) -> Page[Announcement]:
    return Page(tuple(items), page, max(1, -(-total // size)), total)


async def _page(
    session: AsyncSession, ids: list[int], page: int, size: int, total: int
) -> Page[Announcement]:
    if not ids:
        return _page_of([], page, size, total)
    rows = await session.execute(_BY_IDS, {"ids": ids})
    found = _grouped((row, name, photo) for row, name, photo in rows)
    items = [found[i] for i in ids if i in found]
    return _page_of(items, page, size, total)


def _grouped(
    rows: Iterable[tuple[AnnouncementRow, str | None, Any]],
) -> dict[int, Announcement]:
    """(announcement, tag name, has photo) rows → announcements with their tags, in order."""
    found: dict[int, tuple[AnnouncementRow, list[str], bool]] = {}
    for row, name, photo in rows:
        names = found.setdefault(row.id, (row, [], bool(photo)))[1]
        if name is not None:  # outer join: an announcement without tags
            names.append(name)
    return {
        key: convert.announcement(row, tuple(names), has_photo=photo)
        for key, (row, names, photo) in found.items()
    }
