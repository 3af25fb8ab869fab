"""The feed store: sources, the entries each has shown, and their announcements (bot.feeds)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import NewAnnouncement, PublishResult, Status, WrongState
from bot.feeds.sources import (
    DuplicateSource,
    FeedSource,
    NewSource,
    SeenEntry,
    SourceKind,
    SourceMode,
)
from storage.announcements import create_in, edit_in
from storage.engine import dialect_insert, insert_new, read_sessions, write_lock
from storage.models import AnnouncementRow, FeedEntryRow, FeedSourceRow
from storage.photos import replace_photo

# Keys are looked up and rows inserted in batches this size (far below parameter limits).
_BATCH = 200


def source_key(source_id: int, key: str) -> str:
    """The announcement's source key for an entry: unique per source and entry, 200 at most."""
    return f"feed:{source_id}:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class FeedStore:
    """bot.feeds.ports.FeedStore over SQLAlchemy; every call is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_sessions(sessions)

    async def add(
        self, new: NewSource, *, now: datetime, next_poll: datetime, actor: str
    ) -> FeedSource:
        """Keep a new source; DuplicateSource when its URL is kept already."""
        values = {
            "url": new.url,
            "kind": new.kind.value,
            "mode": new.mode.value,
            "every_seconds": int(new.every.total_seconds()),
            "tags": json.dumps(list(new.tags), ensure_ascii=False) if new.tags else None,
            "paused": False,
            "title": new.title,
            "failures": 0,
            "next_poll": next_poll,
            "created_by": actor,
            "created_at": now,
        }
        async with self._sessions.begin() as session:
            inserted = await insert_new(session, FeedSourceRow, values, ["url"])
            row = await session.scalar(select(FeedSourceRow).where(FeedSourceRow.url == new.url))
            assert row is not None
            if not inserted:
                raise DuplicateSource(row.id)
            return _source(row)

    async def get(self, source_id: int) -> FeedSource | None:
        """One source, or None."""
        async with self._reads() as session:
            row = await session.get(FeedSourceRow, source_id)
            return None if row is None else _source(row)

    async def all(self) -> list[FeedSource]:
        """Every source, by id."""
        async with self._reads() as session:
            rows = await session.scalars(select(FeedSourceRow).order_by(FeedSourceRow.id))
            return [_source(row) for row in rows]

    async def set_paused(
        self, source_id: int, paused: bool, *, next_poll: datetime
    ) -> FeedSource | None:
        """Pause or resume a source (resuming sets its next poll); None when unknown."""
        async with self._sessions.begin() as session:
            row = await session.get(FeedSourceRow, source_id, with_for_update=True)
            if row is None:
                return None
            if row.paused and not paused:
                row.next_poll = next_poll
            row.paused = paused
            await session.flush()
            return _source(row)

    async def remove(self, source_id: int) -> bool:
        """Forget a source and its seen entries (announcements stay); False when unknown."""
        async with self._sessions.begin() as session:
            await session.execute(delete(FeedEntryRow).where(FeedEntryRow.source_id == source_id))
            gone = await session.scalars(
                delete(FeedSourceRow)
                .where(FeedSourceRow.id == source_id)
                .returning(FeedSourceRow.id)
            )
            return gone.first() is not None

    async def seen(self, source_id: int, keys: Collection[str]) -> dict[str, SeenEntry]:
        """The entries among `keys` the source has shown before, by key."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, SeenEntry] = {}
        async with self._reads() as session:
            for start in range(0, len(wanted), _BATCH):
                rows = await session.execute(
                    select(
                        FeedEntryRow.key,
                        FeedEntryRow.content_hash,
                        FeedEntryRow.updated,
                        FeedEntryRow.announcement_id,
                    ).where(
                        FeedEntryRow.source_id == source_id,
                        FeedEntryRow.key.in_(wanted[start : start + _BATCH]),
                    )
                )
                for key, digest, updated, announcement_id in rows:
                    found[key] = SeenEntry(key, digest, updated, announcement_id)
        return found

    async def mark_seen(
        self,
        source_id: int,
        entries: Sequence[tuple[str, str, datetime | None]],
        *,
        now: datetime,
    ) -> int:
        """Take (key, content hash, updated) as seen without an announcement; how many new."""
        rows = [
            {"source_id": source_id, "key": key, "content_hash": digest, "updated": updated,
             "seen_at": now}
            for key, digest, updated in dict((e[0], e) for e in entries).values()
        ]  # fmt: skip
        added = 0
        async with self._sessions.begin() as session:
            for start in range(0, len(rows), _BATCH):
                query = (
                    dialect_insert(session, FeedEntryRow)
                    .values(rows[start : start + _BATCH])
                    .on_conflict_do_nothing(index_elements=["source_id", "key"])
                    .returning(FeedEntryRow.id)
                )
                added += len((await session.execute(query)).all())
        return added

    async def create_announcement(
        self,
        source_id: int,
        *,
        key: str,
        content_hash: str,
        updated: datetime | None,
        new: NewAnnouncement,
        status: Status,
        now: datetime,
        actor: str,
    ) -> PublishResult | None:
        """Claim the entry and store its announcement in one transaction; None when seen."""
        values = {
            "source_id": source_id,
            "key": key,
            "content_hash": content_hash,
            "updated": updated,
            "seen_at": now,
        }
        try:
            async with self._sessions.begin() as session:
                # The unique (source, key) row is the claim: a second poller finds it taken
                # (or, racing, waits on it and then finds it taken) and adds nothing.
                if not await insert_new(session, FeedEntryRow, values, ["source_id", "key"]):
                    return None
                keyed = replace(new, source_key=source_key(source_id, key))
                result = await create_in(session, keyed, status=status, now=now, actor=actor)
                await session.execute(
                    update(FeedEntryRow)
                    .where(FeedEntryRow.source_id == source_id, FeedEntryRow.key == key)
                    .values(announcement_id=result.announcement.id)
                )
                return result
        except IntegrityError:
            # The announcement's source key exists: an earlier claim of this entry whose
            # seen row was removed with its source. Take the entry as seen.
            await self.mark_seen(source_id, [(key, content_hash, updated)], now=now)
            return None

    async def edit_announcement(
        self,
        source_id: int,
        *,
        key: str,
        old_hash: str,
        content_hash: str,
        updated: datetime | None,
        new: NewAnnouncement,
        keep_photo: bool,
        now: datetime,
        actor: str,
    ) -> PublishResult | None:
        """Edit the entry's announcement if its stored hash is still `old_hash`; else None."""
        async with self._sessions.begin() as session:
            await write_lock(session)
            claimed = await session.execute(
                update(FeedEntryRow)
                .where(
                    FeedEntryRow.source_id == source_id,
                    FeedEntryRow.key == key,
                    FeedEntryRow.content_hash == old_hash,
                )
                .values(content_hash=content_hash, updated=updated)
                .returning(FeedEntryRow.announcement_id)
            )
            row = claimed.first()
            if row is None or row[0] is None:
                return None
            announcement = await session.get(AnnouncementRow, row[0], with_for_update=True)
            if announcement is None or announcement.status == Status.RETRACTED.value:
                return None
            # The metadata line and the photo change with the text: edit_in below bumps the
            # revision, so every sent copy is edited to show them.
            announcement.category, announcement.signature = new.category, new.signature
            announcement.views = max(announcement.views or 0, new.views)
            if not keep_photo:
                await replace_photo(session, announcement.id, new.photo, now)
            try:
                return await edit_in(
                    session, announcement.id, title=new.title, body=new.body, tags=new.tags,
                    now=now, actor=actor, body_styles=new.body_styles,
                )  # fmt: skip
            except WrongState:
                return None

    async def polled(
        self,
        source_id: int,
        *,
        now: datetime,
        next_poll: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
    ) -> None:
        """Record a successful poll: validators, the feed's title, the next poll; failures 0."""
        values: dict[str, object] = {
            "last_success": now,
            "next_poll": next_poll,
            "etag": etag,
            "last_modified": last_modified,
            "failures": 0,
        }
        if title:
            values["title"] = title
        async with self._sessions.begin() as session:
            await session.execute(
                update(FeedSourceRow).where(FeedSourceRow.id == source_id).values(**values)
            )

    async def failed(
        self, source_id: int, error: str, *, now: datetime, next_poll: datetime
    ) -> int:
        """Record a failed poll and its next try; the failures in a row now."""
        async with self._sessions.begin() as session:
            failures = await session.scalar(
                update(FeedSourceRow)
                .where(FeedSourceRow.id == source_id)
                .values(
                    failures=FeedSourceRow.failures + 1,
                    last_error=error[:500],
                    last_error_at=now,
                    next_poll=next_poll,
                )
                .returning(FeedSourceRow.failures)
            )
            return int(failures or 0)

    async def claim(self, source_id: int, *, now: datetime, until: datetime) -> bool:
        """Take a due, active source's poll: its next poll moves to `until` (the lease), in one
        statement, so of two processes on one database only one polls it; False when the
        source is not due (another process took it), paused or gone."""
        async with self._sessions.begin() as session:
            taken = await session.scalars(
                update(FeedSourceRow)
                .where(
                    FeedSourceRow.id == source_id,
                    FeedSourceRow.paused.is_(False),
                    or_(FeedSourceRow.next_poll.is_(None), FeedSourceRow.next_poll <= now),
                )
                .values(next_poll=until)
                .returning(FeedSourceRow.id)
            )
            return taken.first() is not None

    async def postpone(self, source_id: int, *, next_poll: datetime) -> None:
        """Move the next poll."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(FeedSourceRow)
                .where(FeedSourceRow.id == source_id)
                .values(next_poll=next_poll)
            )


def _source(row: FeedSourceRow) -> FeedSource:
    return FeedSource(
        id=row.id,
        url=row.url,
        kind=SourceKind(row.kind),
        mode=SourceMode(row.mode),
        every=timedelta(seconds=row.every_seconds),
        tags=tuple(json.loads(row.tags)) if row.tags else (),
        paused=row.paused,
        title=row.title,
        etag=row.etag,
        last_modified=row.last_modified,
        last_success=row.last_success,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        failures=row.failures,
        next_poll=row.next_poll,
        created_by=row.created_by,
    )
