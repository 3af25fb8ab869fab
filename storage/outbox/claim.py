"""Claiming: lease due rows in one statement, then load what they show."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import Photo
from storage.outbox.tables import (
    ANNOUNCEMENT_TAGS,
    ANNOUNCEMENTS,
    CHATS,
    COPIES,
    DELIVERIES,
    OCCURRENCES,
    TAGS,
)
from storage.photos import photos_of


@dataclass(frozen=True, slots=True)
class Content:
    """What a claimed row shows: an announcement's current text or an anniversary firing's."""

    title: str
    body: str
    kind: str  # "announcement", or the occurrence kind ("day", "before:7", ...)
    status: str | None = None
    revision: int = 1
    tags: tuple[str, ...] = ()
    signature: str | None = None
    category: str | None = None
    published_at: datetime | None = None
    # The body's style runs as stored (bot.formatting JSON); None for plain text.
    body_styles: str | None = None
    # The announcement's photo (loaded once per announcement, see _with_photos).
    photo: Photo | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery row leased to this worker, with everything needed to carry it out."""

    id: int
    chat_id: int
    platform: str
    external_id: str
    chat_kind: str
    chat_language: str | None
    chat_active: bool
    action: str
    revision: int
    attempts: int
    announcement_id: int | None
    occurrence_id: int | None
    content: Content | None
    copy_ids: tuple[str, ...] = ()
    copy_sent_at: datetime | None = None


def _claimable(now: datetime, platforms: Collection[str]) -> list[ColumnElement[bool]]:
    d = DELIVERIES.c
    # A correlated scalar lookup, not a join: PostgreSQL then walks ix_deliveries_claim in
    # due order and stops at LIMIT, whatever its statistics say right after a bulk insert
    # (with stale statistics a join turned one claim into a rows x chats nested loop).
    platform = select(CHATS.c.platform).where(CHATS.c.id == d.chat_id).scalar_subquery()
    return [
        d.state == "pending",
        d.due_at <= now,
        or_(d.lease_until.is_(None), d.lease_until < now),
        platform.in_(list(platforms)),
    ]


async def claim(
    session: AsyncSession,
    *,
    platforms: Collection[str],
    owner: str,
    now: datetime,
    lease_seconds: float,
    limit: int,
    tag_cache: dict[tuple[int, int], tuple[str, ...]] | None = None,
    photo_cache: dict[int, Photo | None] | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due rows for `platforms` in one statement and load what they show.

    `tag_cache` maps (announcement id, revision) to tag names across calls.
    """
    d = DELIVERIES.c
    chosen = (
        select(d.id)
        .where(*_claimable(now, platforms))
        .order_by(d.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        # Materialized: chosen once, then joined by primary key, never rescanned per row.
        .cte("chosen")
        .prefix_with("MATERIALIZED")
    )
    leased = await session.execute(
        update(DELIVERIES)
        .where(d.id == chosen.c.id)
        .values(
            lease_until=now + timedelta(seconds=lease_seconds),
            lease_owner=owner,
            attempts=d.attempts + 1,
            updated_at=now,
        )
        .returning(d.id)
    )
    ids = [int(row[0]) for row in leased]
    if not ids:
        return []
    return await load(session, ids, tag_cache=tag_cache, photo_cache=photo_cache)


async def load(
    session: AsyncSession,
    ids: Sequence[int],
    *,
    tag_cache: dict[tuple[int, int], tuple[str, ...]] | None = None,
    photo_cache: dict[int, Photo | None] | None = None,
) -> list[Claimed]:
    """Load delivery rows with their chat, content and current copy, in id order."""
    d, c, a, o, m = DELIVERIES.c, CHATS.c, ANNOUNCEMENTS.c, OCCURRENCES.c, COPIES.c
    query = (
        select(
            d.id, d.chat_id, d.action, d.revision, d.attempts, d.announcement_id, d.occurrence_id,
            c.platform, c.external_id, c.kind, c.language, c.active,
            a.title, a.body, a.signature, a.category, a.status, a.revision, a.published_at,
            o.title, o.body, o.kind, m.message_ids, m.sent_at,
            a.body_styles,
        )
        .select_from(
            DELIVERIES.join(CHATS, c.id == d.chat_id)
            .outerjoin(ANNOUNCEMENTS, a.id == d.announcement_id)
            .outerjoin(OCCURRENCES, o.id == d.occurrence_id)
            .outerjoin(COPIES, and_(m.announcement_id == d.announcement_id, m.chat_id == d.chat_id))
        )
        .where(d.id.in_(list(ids)))
        .order_by(d.id)
    )
    rows = (await session.execute(query)).all()
    cache = {} if tag_cache is None else tag_cache
    # Tags change only with a new revision, so (id, revision) keys stay true.
    missing = {int(r[5]) for r in rows if r[12] is not None and (r[5], r[17]) not in cache}
    for aid, names in (await _tags(session, missing)).items():
        revision = next(int(r[17]) for r in rows if r[5] == aid)
        cache[(aid, revision)] = names
    for r in rows:
        if r[12] is not None:
            cache.setdefault((int(r[5]), int(r[17])), ())
    contents: dict[tuple[str, int], Content] = {}
    claimed: list[Claimed] = []
    for r in rows:
        content: Content | None = None
        if r[6] is not None and r[19] is not None:
            key = ("o", int(r[6]))
            content = contents.get(key) or Content(title=r[19], body=r[20], kind=r[21])
            contents[key] = content
        elif r[5] is not None and r[12] is not None:
            key = ("a", int(r[5]))
            content = contents.get(key) or Content(
                title=r[12], body=r[13], kind="announcement", signature=r[14], category=r[15],
                status=r[16], revision=int(r[17]), published_at=r[18],
                tags=cache[(int(r[5]), int(r[17]))],
                body_styles=r[24],
            )
            contents[key] = content
        claimed.append(
            Claimed(
                id=int(r[0]), chat_id=int(r[1]), action=r[2], revision=int(r[3]),
                attempts=int(r[4]), announcement_id=r[5], occurrence_id=r[6],
                platform=r[7], external_id=r[8], chat_kind=r[9], chat_language=r[10],
                chat_active=bool(r[11]), content=content,
                copy_ids=tuple(json.loads(r[22])) if r[22] else (), copy_sent_at=r[23],
            )
        )
    return await _with_photos(session, claimed, photo_cache)


# Photos kept across loads at most (each may be 10 MB); ids known to have none are kept too.
PHOTO_CACHE_SIZE = 8
_PHOTO_CACHE_IDS = 1000


async def _with_photos(
    session: AsyncSession, claimed: list[Claimed], cache: dict[int, Photo | None] | None
) -> list[Claimed]:
    """Put each announcement's photo on its content: one query per load, one read per photo."""
    # A photo never changes once stored, so `cache` (announcement id → photo) stays true.
    cache = {} if cache is None else cache
    shown = {
        int(row.announcement_id)
        for row in claimed
        if row.announcement_id is not None
        and row.content is not None
        and row.content.kind == "announcement"
        and row.action != "delete"
    }
    missing = shown - cache.keys()
    if missing:
        held = sum(photo is not None for photo in cache.values())
        if held >= PHOTO_CACHE_SIZE or len(cache) >= _PHOTO_CACHE_IDS:
            cache.clear()
        photos = await photos_of(session, missing)
        cache.update({aid: photos.get(aid) for aid in missing})
    found = {aid: photo for aid in shown if (photo := cache.get(aid)) is not None}
    if not found:
        return claimed
    with_photo: dict[int, Content] = {}
    out: list[Claimed] = []
    for row in claimed:
        aid = row.announcement_id
        photo = found.get(aid) if aid is not None and aid in shown else None
        if aid is None or photo is None or row.content is None:
            out.append(row)
            continue
        content = with_photo.get(aid) or replace(row.content, photo=photo)
        with_photo[aid] = content
        out.append(replace(row, content=content))
    return out


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


async def count_claimable(
    session: AsyncSession, *, platforms: Collection[str], now: datetime
) -> int:
    """How many rows for `platforms` a worker could claim right now."""
    query = select(func.count()).select_from(DELIVERIES).where(*_claimable(now, platforms))
    return int((await session.execute(query)).scalar_one())
